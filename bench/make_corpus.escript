#!/usr/bin/env escript
%% -*- erlang -*-
%%! -sname distspec_corpus -start_epmd false -dist_listen false -hidden
%% The node name makes pids, ports and refs carry a real node atom and creation, as they do on
%% the wire; -dist_listen false keeps this node off epmd and off any port.
%%
%% Writes the benchmark corpus: one term_to_binary/1 output per file, OUT_DIR/NN_name.etf, in
%% the order the benchmarks report them. Contents come from a fixed rand seed, so every run
%% writes the same bytes except for pids, ports and refs (same sizes, fresh numbers).
%%
%% Usage: make_corpus.escript OUT_DIR
-mode(compile).

main([OutDir]) ->
    ok = filelib:ensure_path(OutDir),
    rand:seed(exsss, {17, 4, 2026}),
    Items = items(),
    lists:foldl(fun({Name, Term}, N) ->
                        File = filename:join(OutDir, io_lib:format("~2..0w_~s.etf", [N, Name])),
                        ok = file:write_file(File, term_to_binary(Term)),
                        N + 1
                end, 1, Items),
    io:format("wrote ~b corpus items to ~s~n", [length(Items), OutDir]);
main(_) ->
    io:format(standard_error, "usage: make_corpus.escript OUT_DIR~n", []),
    halt(2).

items() ->
    [{"rpc_call", rpc_call()},
     {"rpc_batch", [rpc_message(N) || N <- lists:seq(1, 400)]},
     {"json_docs", [json_doc(N) || N <- lists:seq(1, 150)]},
     {"struct_docs", [struct_doc(N) || N <- lists:seq(1, 150)]},
     {"string_short", "GET /api/v1/users?limit=50 HTTP/1.1"},
     {"string_4k", [$a + rand:uniform(26) - 1 || _ <- lists:seq(1, 4096)]},
     {"unicode_text", unicode:characters_to_list(
                        lists:duplicate(40, <<"Grüße, 世界! Ωμέγα ☃ "/utf8>>))},
     {"binaries_small", [rand:bytes(8 + rand:uniform(56)) || _ <- lists:seq(1, 1000)]},
     {"binary_1k", rand:bytes(1024)},
     {"binary_64k", rand:bytes(65536)},
     {"binary_1m", rand:bytes(1048576)},
     {"bignums", bignums()},
     {"floats", [rand:normal() * math:pow(10, rand:uniform(40) - 20) || _ <- lists:seq(1, 2000)]},
     {"nested", nested(6)},
     {"deep_list", lists:foldl(fun(N, Acc) -> [N, Acc] end, [], lists:seq(1, 1000))},
     {"pids_refs", pids_refs()}].

%% What gen_server:call/2 sends for an rpc:call-like request.
rpc_call() ->
    Ref = erlang:monitor(process, self(), [{alias, demonitor}]),
    {'$gen_call', {self(), [alias | Ref]},
     {call, lists, reverse, [[1, 2, 3], []], group_leader()}}.

rpc_message(N) ->
    Atoms = {ok, error, undefined, noproc, timeout, 'états', normal},
    {'$gen_cast', {update, element(1 + N rem 7, Atoms), N, N rem 256,
                   [{count, N * 3}, {status, active}, {retries, N rem 5}]}}.

%% A JSON document as Jason/jsx decode it: binary keys, null as an atom.
json_doc(N) ->
    #{<<"id">> => N,
      <<"name">> => iolist_to_binary(["user_", integer_to_list(N)]),
      <<"email">> => iolist_to_binary(["user", integer_to_list(N), "@example.com"]),
      <<"active">> => N rem 3 =/= 0,
      <<"score">> => rand:uniform() * 100,
      <<"tags">> => [<<"erlang">>, <<"elixir">>, <<"beam">>],
      <<"manager">> => null,
      <<"address">> => #{<<"city">> => <<"Stockholm">>, <<"zip">> => 11000 + N,
                         <<"lines">> => [<<"Main street 1">>]}}.

%% An Elixir struct: atom keys including __struct__.
struct_doc(N) ->
    #{'__struct__' => 'Elixir.MyApp.Accounts.User', id => N, age => 18 + N rem 60,
      name => iolist_to_binary(["Name ", integer_to_list(N)]), role => admin,
      inserted_at => {{2026, 11, 26}, {N rem 24, N rem 60, 0}}, balance => N * 1.5}.

bignums() ->
    [begin
         Bits = 65 + rand:uniform(2000),
         V = rand:uniform(1 bsl 62) bsl (Bits - 62) + rand:uniform(1 bsl 30),
         case rand:uniform(2) of 1 -> V; 2 -> -V end
     end || _ <- lists:seq(1, 100)].

%% A tree of tuples and lists with small integers and atoms at the leaves.
nested(0) -> [rand:uniform(1000), leaf];
nested(D) -> {node, D, [nested(D - 1) || _ <- lists:seq(1, 4)]}.

pids_refs() ->
    Port = hd(erlang:ports()),
    [begin
         Pid = spawn(fun() -> ok end),
         {Pid, make_ref(), Port, N}
     end || N <- lists:seq(1, 300)].
