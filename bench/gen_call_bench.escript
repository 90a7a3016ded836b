#!/usr/bin/env escript
%% -*- erlang -*-
%%! -start_epmd false
%% Both BEAM sides of the gen_call benchmark (bench/run_calls starts epmd and every node).
%%
%%   gen_call_bench.escript serve NAME
%%       Runs node NAME serving a gen_server registered as 'Elixir.PingPong' (what Elixir's
%%       `GenServer.start_link(PingPong, ..., name: PingPong)` registers), answering ping with
%%       pong. Prints "ready" and runs until killed.
%%   gen_call_bench.escript call NAME SECONDS IN_FLIGHT NODE...
%%       Runs node NAME and, for each NODE: checks :net_adm.ping, then measures sequential
%%       GenServer.call({PingPong, NODE}, :ping) round trips for SECONDS, then IN_FLIGHT callers
%%       at once for SECONDS; BENCH_ROUNDS (default 1) times, the nodes taking turns in each
%%       round. Prints "result NODE US_PER_CALL CALLS_PER_S IN_FLIGHT_CALLS_PER_S US_MIN US_MAX"
%%       per node (medians of the rounds, and the range of US_PER_CALL), then
%%       "round R NODE US_PER_CALL IN_FLIGHT_CALLS_PER_S" per round (run_calls pairs the servers
%%       round by round), and "frames REQUEST_BYTES REPLY_BYTES": the size of one call's request
%%       and reply on a pass-through connection (as with the ei node), for the TCP floor. A node
%%       that does not answer prints "failed NODE REASON" instead.
%%   gen_call_bench.escript sequential NAME CALLS NODE
%%       Pings NODE, warms up, then makes CALLS sequential calls; prints "sequential NODE
%%       US_PER_CALL CPU_US_PER_CALL SERVED", CPU being this node's (every thread,
%%       statistics(runtime)) and SERVED the calls made, warm-up included.
%%       bench/cpu_calls runs it with the schedulers' busy waiting off, so that CPU is work.
%%
%% The cookie is the one erl reads ($HOME/.erlang.cookie); distribution uses ERL_EPMD_PORT.
-mode(compile).
-define(WARM_UP_CALLS, 2000).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).

main(["serve", Name]) ->
    start_distribution(Name),
    {ok, _} = gen_server:start({local, 'Elixir.PingPong'}, ?MODULE, [], []),
    io:format("ready~n"),
    receive after infinity -> ok end;
main(["call", Name, Seconds, InFlight | Nodes]) ->
    start_distribution(Name),
    Millis = round(number(Seconds) * 1000),
    Rounds = list_to_integer(os:getenv("BENCH_ROUNDS", "1")),
    Targets = [list_to_atom(Node) || Node <- Nodes],
    Ready = [Node || Node <- Targets, ready(Node)],
    %% Round after round over every node, so that a slow spell of the machine falls on all of them.
    Runs = [{Node, measure(Node, Millis, list_to_integer(InFlight))}
            || _ <- lists:seq(1, Rounds), Node <- Ready],
    [report(Node, [Run || {N, Run} <- Runs, N =:= Node]) || Node <- Ready],
    frames(),
    halt(0);
main(["sequential", Name, Calls, Node]) ->
    start_distribution(Name),
    Target = list_to_atom(Node),
    ready(Target) orelse halt(1),
    N = list_to_integer(Calls),
    statistics(runtime),
    T0 = erlang:monotonic_time(microsecond),
    calls({'Elixir.PingPong', Target}, N),
    Micros = erlang:monotonic_time(microsecond) - T0,
    {_, CpuMillis} = statistics(runtime),
    io:format("sequential ~s ~.2f ~.2f ~b~n", [Node, Micros / N, CpuMillis * 1000 / N, ?WARM_UP_CALLS + N]),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: gen_call_bench.escript serve NAME | "
              "call NAME SECONDS IN_FLIGHT NODE... | sequential NAME CALLS NODE~n", []),
    halt(2).

start_distribution(Name) ->
    case net_kernel:start([list_to_atom(Name), shortnames]) of
        {ok, _} -> ok;
        {error, Reason} ->
            io:format(standard_error, "cannot start node ~s: ~p~n", [Name, Reason]),
            halt(1)
    end.

init([]) -> {ok, nil}.
handle_call(ping, _From, State) -> {reply, pong, State}.
handle_cast(_, State) -> {noreply, State}.

%% Ping and warm up; false (with a "failed" line) when the node does not answer.
ready(Node) ->
    try
        pong = net_adm:ping(Node),
        calls({'Elixir.PingPong', Node}, ?WARM_UP_CALLS),
        true
    catch
        Class:Reason ->
            io:format("failed ~s ~p:~0p~n", [Node, Class, Reason]),
            false
    end.

%% One round: {microseconds per sequential call, calls per second with InFlight callers}, or
%% failed.
measure(Node, Millis, InFlight) ->
    Target = {'Elixir.PingPong', Node},
    try
        {Calls, Micros} = sequential(Target, Millis),
        {Micros / Calls, in_flight(Target, Millis, InFlight)}
    catch
        Class:Reason -> {failed, {Class, Reason}}
    end.

%% "result NODE US_PER_CALL CALLS_PER_S IN_FLIGHT_CALLS_PER_S US_MIN US_MAX": medians of the
%% rounds, and the spread of the per-call time.
report(Node, Runs) ->
    case [Why || {failed, Why} <- Runs] of
        [{Class, Reason} | _] -> io:format("failed ~s ~p:~0p~n", [Node, Class, Reason]);
        [] ->
            Us = lists:sort([U || {U, _} <- Runs]),
            Concurrent = median(lists:sort([C || {_, C} <- Runs])),
            Median = median(Us),
            io:format("result ~s ~.2f ~b ~b ~.2f ~.2f~n",
                      [Node, Median, round(1.0e6 / Median), round(Concurrent),
                       hd(Us), lists:last(Us)]),
            [io:format("round ~b ~s ~.2f ~b~n", [R, Node, U, round(C)])
             || {R, {U, C}} <- lists:zip(lists:seq(1, length(Runs)), Runs)]
    end.

median(Sorted) -> lists:nth((length(Sorted) + 1) div 2, Sorted).

calls(_Target, 0) -> ok;
calls(Target, N) -> pong = gen_server:call(Target, ping), calls(Target, N - 1).

%% Batches of 500 calls until the time is up: {calls, microseconds}.
sequential(Target, Millis) ->
    T0 = erlang:monotonic_time(microsecond),
    Deadline = T0 + Millis * 1000,
    sequential(Target, Deadline, T0, 0).

sequential(Target, Deadline, T0, Calls) ->
    calls(Target, 500),
    Now = erlang:monotonic_time(microsecond),
    if
        Now >= Deadline -> {Calls + 500, Now - T0};
        true -> sequential(Target, Deadline, T0, Calls + 500)
    end.

%% InFlight processes calling sequentially for the same time: total calls per second.
in_flight(Target, Millis, InFlight) ->
    Parent = self(),
    Pids = [spawn(fun() -> Parent ! {self(), catch sequential(Target, Millis)} end)
            || _ <- lists:seq(1, InFlight)],
    Results = [receive {Pid, {'EXIT', Reason}} -> error(Reason); {Pid, Result} -> Result end
               || Pid <- Pids],
    Calls = lists:sum([C || {C, _} <- Results]),
    Micros = lists:max([M || {_, M} <- Results]),
    Calls * 1.0e6 / Micros.

%% One call's frames as BEAM sends them to a node without the atom cache (the ei node): a 4-byte
%% length, 'p', the control message and the payload, each with its 131.
frames() ->
    Ref = make_ref(),
    Tag = [alias | Ref],
    Request = frame({6, self(), '', 'Elixir.PingPong'}, {'$gen_call', {self(), Tag}, ping}),
    Reply = frame({2, '', self()}, {Tag, pong}),
    io:format("frames ~b ~b~n", [Request, Reply]).

frame(Control, Message) ->
    4 + 1 + byte_size(term_to_binary(Control)) + byte_size(term_to_binary(Message)).

%% "0.5" or "3": seconds from the command line.
number(Text) ->
    case string:to_float(Text) of
        {Float, ""} -> Float;
        _ -> float(list_to_integer(Text))
    end.
