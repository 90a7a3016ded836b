#!/usr/bin/env escript
%% -*- erlang -*-
%%! -sname distspec_b2t -start_epmd false -dist_listen false -hidden +S 1 +sbwt none +sbwtdcpu none +sbwtdio none
%% The node name is there so that pids and refs in the corpus decode as on a real node. One
%% scheduler that does not spin when idle: the VM's CPU time is then the measured work's.
%%
%% Measures binary_to_term/1 and term_to_binary/1 on every corpus item, in MB/s (10^6 bytes of
%% term_to_binary output per second), as Google Benchmark measures the C++ side: in CPU time
%% (less disturbed by other load than wall time), the loop runs until it has taken at least
%% MIN_SECONDS, and the rate is total bytes / CPU time; with REPETITIONS, the median rate.
%% Writes "<op> <item> <MB/s>" lines (op: b2t, t2b) to OUT_FILE for etf_bench's summary.
%%
%% Usage: beam_b2t.escript CORPUS_DIR OUT_FILE [MIN_SECONDS [REPETITIONS]]
-mode(compile).

main([CorpusDir, OutFile]) ->
    main([CorpusDir, OutFile, "0.2", "1"]);
main([CorpusDir, OutFile, MinSeconds]) ->
    main([CorpusDir, OutFile, MinSeconds, "1"]);
main([CorpusDir, OutFile, MinSeconds, Repetitions]) ->
    MinMillis = round(number(MinSeconds) * 1000),
    put(repetitions, list_to_integer(Repetitions)),
    Files = lists:sort(filelib:wildcard(filename:join(CorpusDir, "*.etf"))),
    Files =:= [] andalso fail("no .etf files in " ++ CorpusDir),
    Lines = lists:flatmap(fun(File) -> measure(File, MinMillis) end, Files),
    ok = file:write_file(OutFile, Lines);
main(_) ->
    io:format(standard_error, "usage: beam_b2t.escript CORPUS_DIR OUT_FILE [MIN_SECONDS [REPETITIONS]]~n", []),
    halt(2).

fail(Message) ->
    io:format(standard_error, "beam_b2t: ~s~n", [Message]),
    halt(1).

measure(File, MinMillis) ->
    {ok, Bin} = file:read_file(File),
    Item = item_name(File),
    Term = binary_to_term(Bin),
    B2t = rate(fun(N) -> b2t_loop(Bin, N, undefined) end, byte_size(Bin), MinMillis),
    T2b = rate(fun(N) -> t2b_loop(Term, N, undefined) end, byte_size(Bin), MinMillis),
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

%% Grows the iteration count until one timed run takes MinMillis, as Google Benchmark does
%% (aim 1.4x past the goal from the last run's time, at most 10x at once).
rate(Loop, Bytes, MinMillis) ->
    Loop(1),  % warm-up
    Rates = lists:sort([rate(Loop, Bytes, MinMillis, 1) || _ <- lists:seq(1, get(repetitions))]),
    lists:nth((length(Rates) + 1) div 2, Rates).

rate(Loop, Bytes, MinMillis, N) ->
    {T0, _} = erlang:statistics(runtime),
    Loop(N),
    {T1, _} = erlang:statistics(runtime),
    Elapsed = T1 - T0,
    if
        Elapsed >= MinMillis ->
            N * Bytes / (Elapsed / 1000) / 1.0e6;
        true ->
            Aim = ceil(N * 1.4 * MinMillis / max(Elapsed, 1)),
            rate(Loop, Bytes, MinMillis, max(N + 1, min(N * 10, Aim)))
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
