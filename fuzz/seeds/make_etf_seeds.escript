#!/usr/bin/env escript
%% Regenerates the ETF seed corpora from a real OTP node (issue 5: seeds are term_to_binary
%% output, not hand-typed). Usage: fuzz/seeds/make_etf_seeds.escript [CORPORA_DIR]
%% Writes, named by the SHA-1 of their content, replacing its previous output (files named by a
%% 40-digit hash); other files, such as regression-<sha1> crash inputs, are kept:
%%   CORPORA_DIR/etf_decode/  term_to_binary/1,2 of every term below (plain, compressed,
%%                            minor_version 0 and 2, deterministic);
%%   CORPORA_DIR/etf_models/  the same encodings, each also with trailing bytes (a second term)
%%                            and cut short by one byte (where the decoder's models could
%%                            disagree on bytes used, verdict or error offset);
%%   CORPORA_DIR/etf_text/    io_lib:format("~w") and "~p" of the terms that hold no pid, port,
%%                            reference or fun (their text form is distspec's own).
-mode(compile).

main(Args) ->
    Root = case Args of [Dir] -> Dir; [] -> filename:join(script_root(), "corpora") end,
    Terms = terms(),
    Decode = lists:usort(lists:flatmap(fun encodings/1, Terms)),
    Models = lists:usort(lists:flatmap(fun model_variants/1, Decode)),
    Text = lists:usort([iolist_to_binary(io_lib:format(F, [T]))
                        || T <- Terms, printable_in_erlang_syntax(T), F <- ["~w", "~p"]]),
    N1 = write_all(filename:join(Root, "etf_decode"), Decode),
    N2 = write_all(filename:join(Root, "etf_text"), Text),
    N3 = write_all(filename:join(Root, "etf_models"), Models),
    io:format("etf_decode: ~b seeds, etf_text: ~b seeds, etf_models: ~b seeds (OTP ~s)~n",
              [N1, N2, N3, erlang:system_info(otp_release)]).

script_root() ->
    filename:dirname(filename:dirname(filename:dirname(filename:absname(escript:script_name())))).

write_all(Dir, Bins) ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    [ok = file:delete(filename:join(Dir, F))
     || F <- element(2, file:list_dir(Dir)), length(F) =:= 40,
        lists:all(fun(C) -> lists:member(C, "0123456789abcdef") end, F)],
    [ok = file:write_file(filename:join(Dir, hex(crypto:hash(sha, B))), B) || B <- Bins],
    length(Bins).

hex(Bin) -> string:lowercase(binary:encode_hex(Bin)).

encodings(T) ->
    Plain = term_to_binary(T),
    Extra = [term_to_binary(T, [compressed]) || byte_size(Plain) > 40]
         ++ [term_to_binary(T, [{compressed, 9}]) || byte_size(Plain) > 200]
         ++ [term_to_binary(T, [{minor_version, 0}]) || has(fun is_float/1, T)]
         ++ [term_to_binary(T, [{minor_version, 2}]) || has(fun is_atom/1, T)]
         ++ [term_to_binary(T, [deterministic]) || is_map(T), map_size(T) > 32],
    [Plain | Extra].

%% An encoding as is, followed by another term's bytes (binary_to_term/1 ignores them, [used] and
%% decode_exact do not), and without its last byte (an error at the end of the input).
model_variants(Bin) ->
    [Bin, <<Bin/binary, (term_to_binary(trailing))/binary>>, binary:part(Bin, 0, byte_size(Bin) - 1)].

has(Pred, T) ->
    Pred(T) orelse
        case T of
            [H | Tl] -> has(Pred, H) orelse has(Pred, Tl);
            _ when is_tuple(T) -> lists:any(fun(E) -> has(Pred, E) end, tuple_to_list(T));
            _ when is_map(T) -> has(Pred, maps:to_list(T));
            _ -> false
        end.

printable_in_erlang_syntax(T) ->
    not has(fun(X) -> is_pid(X) orelse is_port(X) orelse is_reference(X) orelse is_function(X) end, T).

%% A node name with its creation, as another node's pids/ports/refs carry them.
external_pid(Node, Id, Serial, Creation) ->
    <<131, NodeAtom/binary>> = term_to_binary(Node),
    binary_to_term(<<131, 88, NodeAtom/binary, Id:32, Serial:32, Creation:32>>).

terms() ->
    Self = self(),
    Ref = make_ref(),
    Alias = alias(),
    Mon = erlang:monitor(process, Self),
    Port = hd(erlang:ports()),
    Y = 42,
    Local = fun(X) -> X + Y end,
    Big = 1 bsl 2100,
    Remote = external_pid('other@host', 1234, 5, 1700000000),
    Ints = [0, 1, 127, 128, 255, 256, -1, -255, -256, 65535, 2147483647, 2147483648,
            -2147483648, -2147483649, 1 bsl 32, 1 bsl 63, -(1 bsl 63), 1 bsl 64, -(1 bsl 64),
            (1 bsl 2039) - 1, 1 bsl 2040, Big, -Big],
    Floats = [0.0, -0.0, 1.0, -2.5, 3.141592653589793, 1.0e308, -1.0e-308, 5.0e-324, 0.1],
    Atoms = [a, true, false, undefined, '', 'hello world', 'Quoted', 'ä', 'ÿ', 'λ', '日本',
             list_to_atom(lists:duplicate(255, $a)), list_to_atom(lists:duplicate(255, 955)),
             list_to_atom(lists:duplicate(100, 955)), list_to_atom([97, 0, 98]), 'nonode@nohost',
             'a@host', '$gen_call'],
    Lists = [[], "abc", "a", [0], [1, 2, 3, 256], [a | b], [1 | 2], [[]], [[1]], [a, [b, [c]]],
             lists:seq(1, 300), lists:duplicate(300, 7), [1.0, a, "x", <<>>], [-1, 255],
             "héllo", [955, 8364], nest(30), [Alias | Ref]],
    Tuples = [{}, {a}, {1, 2, 3}, {ok, <<"x">>}, {error, {badarg, [a]}},
              list_to_tuple(lists:seq(1, 256)), list_to_tuple(lists:seq(1, 300))],
    Bins = [<<>>, <<1, 2, 3>>, <<0:8>>, list_to_binary(lists:seq(0, 255)),
            binary:copy(<<"abcdefgh">>, 128), <<255, 1:3>>, <<1:1>>, <<1, 2, 3:7>>,
            <<"text with spaces">>],
    Maps = [#{}, #{a => 1}, #{1 => a, 1.0 => b}, maps:from_list([{K, K} || K <- lists:seq(1, 32)]),
            maps:from_list([{K, K} || K <- lists:seq(1, 40)]),
            #{-1 => x, 2 => x, 0.5 => x, a => x, {} => x, {t} => x, [] => x, "s" => x, <<"b">> => x,
              #{} => x},
            #{Ref => ref, Self => pid, #{inner => [1]} => nested}],
    Containers = [Self, Remote, list_to_pid("<0.42.0>"), Port, Ref, Alias, Mon,
                  fun lists:map/2, fun erlang:self/0, Local, fun() -> Self end,
                  external_pid('n@h', 0, 0, 0)],
    %% The tuples OTP 25 sends on a distribution connection (control-messages.md).
    Control = [{1, Self, Remote}, {2, '', Remote}, {4, Self, Remote}, {6, Self, '', rex},
               {12, Self, Remote, Ref}, {13, Self, Remote, Ref}, {8, Self, Remote, Ref, normal},
               {16, Remote, Self, 7}, {22, Ref, Self, Self, {erpc, execute_call, 4}, [monitor]},
               {23, Ref, Self, 0, Remote}, {33, Self, Alias}, {34, Self, Alias, token},
               {'$gen_call', {Self, [alias | Alias]}, {is_auth, 'a@host'}},
               {'$gen_call', {Self, Ref}, ping}, {Ref, yes}, {rex, Self, {call, erlang, node, [], Self}}],
    Ints ++ Floats ++ Atoms ++ Lists ++ Tuples ++ Bins ++ Maps ++ Containers ++ Control
        ++ [{Ints, Floats}, Atoms, maps:from_list(lists:zip(Atoms, lists:sublist(Floats ++ Ints, length(Atoms))))].

nest(0) -> [];
nest(N) -> [nest(N - 1)].
