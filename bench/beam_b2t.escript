#!/usr/bin/env escript
%% -*- erlang -*-
%%! -sname distspec_b2t -start_epmd false -dist_listen false -hidden
%% The node name is only there so that pids and refs in the corpus decode as they would on a
%% real node (references to this node's own name would otherwise be the same).
%%
%% Measures binary_to_term/1 and term_to_binary/1 on every corpus item, in MB/s (10^6 bytes of
%% term_to_binary output per second), as Google Benchmark measures the C++ side: the loop runs
%% until it has taken at least MIN_SECONDS, and the rate is total bytes / elapsed time.
%% Writes "<op> <item> <MB/s>" lines (op: b2t, t2b) to OUT_FILE for etf_bench's summary.
%%
%% Usage: beam_b2t.escript CORPUS_DIR OUT_FILE [MIN_SECONDS]
-mode(compile).

main([CorpusDir, OutFile]) ->
    main([CorpusDir, OutFile, "0.2"]);
main([CorpusDir, OutFile, MinSeconds]) ->
    MinNative = erlang:convert_time_unit(round(number(MinSeconds) * 1000), millisecond,
                                         native),
    Files = lists:sort(filelib:wildcard(filename:join(CorpusDir, "*.etf"))),
    Files =:= [] andalso fail("no .etf files in " ++ CorpusDir),
    Lines = lists:flatmap(fun(File) -> measure(File, MinNative) end, Files),
    ok = file:write_file(OutFile, Lines);
main(_) ->
    io:format(standard_error, "usage: beam_b2t.escript CORPUS_DIR OUT_FILE [MIN_SECONDS]~n", []),
    halt(2).

fail(Message) ->
    io:format(standard_error, "beam_b2t: ~s~n", [Message]),
    halt(1).

measure(File, MinNative) ->
    {ok, Bin} = file:read_file(File),
    Item = item_name(File),
    Term = binary_to_term(Bin),
    B2t = rate(fun(N) -> b2t_loop(Bin, N, undefined) end, byte_size(Bin), MinNative),
    T2b = rate(fun(N) -> t2b_loop(Term, N, undefined) end, byte_size(Bin), MinNative),
    io:format("  ~-15s ~8b bytes  binary_to_term ~9.1f MB/s  term_to_binary ~9.1f MB/s~n",
              [Item, byte_size(Bin), B2t, T2b]),
    [io_lib:format("b2t ~s ~.3f~nt2b ~s ~.3f~n", [Item, B2t, Item, T2b])].

%% "03_json_docs.etf" -> "json_docs", as etf_bench names items.
item_name(File) ->
    Stem = filename:basename(File, ".etf"),
    case string:split(Stem, "_") of
        [_Order, Name] -> Name;
        [Name] -> Name
    end.

%% Grows the iteration count until one timed run takes MinNative, as Google Benchmark does
%% (aim 1.4x past the goal from the last run's time, at most 10x at once).
rate(Loop, Bytes, MinNative) ->
    Loop(1),  % warm-up
    rate(Loop, Bytes, MinNative, 1).

rate(Loop, Bytes, MinNative, N) ->
    T0 = erlang:monotonic_time(),
    Loop(N),
    Elapsed = erlang:monotonic_time() - T0,
    if
        Elapsed >= MinNative ->
            Seconds = erlang:convert_time_unit(Elapsed, native, nanosecond) / 1.0e9,
            N * Bytes / Seconds / 1.0e6;
        true ->
            Aim = ceil(N * 1.4 * MinNative / max(Elapsed, 1)),
            rate(Loop, Bytes, MinNative, max(N + 1, min(N * 10, Aim)))
    end.

%% The last result is returned so that the compiler cannot drop the calls.
b2t_loop(_Bin, 0, Last) -> Last;
b2t_loop(Bin, N, _) -> b2t_loop(Bin, N - 1, binary_to_term(Bin)).

t2b_loop(_Term, 0, Last) -> Last;
t2b_loop(Term, N, _) -> t2b_loop(Term, N - 1, term_to_binary(Term)).

%% "0.5" or "3": seconds from the command line.
number(Text) ->
    case string:to_float(Text) of
        {Float, ""} -> Float;
        _ -> float(list_to_integer(Text))
    end.
