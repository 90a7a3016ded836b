#!/bin/sh
# Tests of `distspec term` (registered in harness/cli/tests.cmake).
# usage: cmd_term_test.sh usage|reject|roundtrip|beam DISTSPEC [ERL]
# `beam` compares with a real OTP: our encoding == term_to_binary (with each option), and our
# decode of BEAM's bytes prints what io:format("~w~n") prints.
set -u
case_name=$1
distspec=$2
erl=${3:-erl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_exit CODE COMMAND... : runs the command (stdout/stderr to files) and checks its status.
expect_exit() {
  want=$1; shift
  "$@" >"$work/out" 2>"$work/err"
  got=$?
  [ "$got" -eq "$want" ] || fail "exit $got, wanted $want: $* ($(head -c 300 "$work/err"))"
}

case $case_name in
usage)
  expect_exit 2 "$distspec" term
  expect_exit 2 "$distspec" term bogus
  expect_exit 2 "$distspec" term encode --nope a
  expect_exit 2 "$distspec" term encode --compressed=10 a
  expect_exit 2 "$distspec" term encode --minor-version 3 a
  expect_exit 2 "$distspec" term encode --minor-version
  expect_exit 2 "$distspec" term encode a b
  expect_exit 2 "$distspec" term decode x y
  expect_exit 0 "$distspec" term --help
  grep -q "term decode" "$work/out" || fail "term --help does not describe decode"
  expect_exit 0 "$distspec" term encode --help
  expect_exit 0 "$distspec" term decode --help
  ;;
reject)
  expect_exit 1 "$distspec" term encode '{a,'
  grep -q "line 1, column 4 (byte 3)" "$work/err" || fail "parse error position: $(cat "$work/err")"
  printf '{a,\n  b c}' >"$work/bad.txt"
  "$distspec" term encode - <"$work/bad.txt" >/dev/null 2>"$work/err"
  [ $? -eq 1 ] || fail "stdin text not rejected"
  grep -q "line 2, column 5" "$work/err" || fail "line/column on stdin: $(cat "$work/err")"
  printf '\203\150\002\141\001\141' >"$work/truncated.bin"  # {1, <a small integer cut off>}
  expect_exit 1 "$distspec" term decode "$work/truncated.bin"
  grep -q "at byte [0-9]" "$work/err" || fail "decode error offset: $(cat "$work/err")"
  printf '\202\141\001' >"$work/version.bin"
  "$distspec" term decode <"$work/version.bin" >/dev/null 2>"$work/err"
  [ $? -eq 1 ] || fail "bad version byte not rejected"
  grep -q "at byte 0" "$work/err" || fail "version error offset: $(cat "$work/err")"
  expect_exit 1 "$distspec" term decode "$work/does-not-exist"
  ;;
roundtrip)
  for text in '{a,[1,2],<<3:4>>,#{k => 1.5}}' '[a|b]' "'hello world'" '-12345678901234567890' \
              '#Pid<'"'"'a@b'"'"'.1.2.3>' '#Port<'"'"'a@b'"'"'.5.6>' '#Ref<'"'"'a@b'"'"'.1.2.3.4>' \
              'fun lists:map/2' '1.0e20' '[]' '<<>>'; do
    for opts in "" "--compressed" "--minor-version 0" "--minor-version 2"; do
      # shellcheck disable=SC2086
      "$distspec" term encode $opts -- "$text" >"$work/t.bin" 2>"$work/err" || fail "encode $opts $text"
      printed=$("$distspec" term decode "$work/t.bin" 2>&1) || fail "decode of encode $opts $text"
      [ "$printed" = "$text" ] || fail "round trip $opts: '$text' printed as '$printed'"
    done
  done
  # decode | encode gives the same bytes back
  "$distspec" term encode '{x,[1,2.5,"s"],#{a => <<1,2:3>>}}' >"$work/a.bin"
  "$distspec" term decode "$work/a.bin" | "$distspec" term encode --latin1 - >"$work/b.bin"
  cmp -s "$work/a.bin" "$work/b.bin" || fail "decode | encode changed the bytes"
  ;;
beam)
  # Texts in Erlang syntax that erl can evaluate too (one per line).
  cat >"$work/texts" <<'TEXTS'
{a,[1,2],<<3:4>>,#{k => 1.5}}
[a|b]
'hello world'
-12345678901234567890
16#FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF
[1.0e20,0.1,-0.0,1.0e-5,123456.789,5.0e-324]
"abc"
[256,1,2]
{<<"é"/utf8>>,'λ',ä,'Ä'}
#{[] => {}, 1 => 1.0, 1.0 => 1, "s" => <<"b">>, {a} => #{}}
<<255,1:3>>
{{{{[[[[]]]]}}}}
[$a, $\n | <<"tail">>]
lists:seq(1, 300)
maps:from_list([{I, I * I} || I <- lists:seq(1, 40)])
list_to_tuple(lists:seq(1, 300))
TEXTS
  cat >"$work/oracle.escript" <<'ESCRIPT'
%% escript skips this first line
main([Dir]) ->
    {ok, Texts} = file:read_file(filename:join(Dir, "texts")),
    Lines = [L || L <- binary:split(Texts, <<"\n">>, [global]), L =/= <<>>],
    Opts = [{"plain", []}, {"c6", [compressed]}, {"c9", [{compressed, 9}]}, {"m0", [{minor_version, 0}]},
            {"m2", [{minor_version, 2}]}],
    lists:foldl(
      fun(Line, N) ->
          {ok, Ts, _} = erl_scan:string(unicode:characters_to_list(Line) ++ "."),
          {ok, Es} = erl_parse:parse_exprs(Ts),
          {value, T, _} = erl_eval:exprs(Es, []),
          [ok = file:write_file(filename:join(Dir, integer_to_list(N) ++ "." ++ Name ++ ".beam"),
                                term_to_binary(T, O)) || {Name, O} <- Opts],
          ok = file:write_file(filename:join(Dir, integer_to_list(N) ++ ".w"),
                               io_lib:format("~w~n", [T])),
          N + 1
      end, 1, Lines).
ESCRIPT
  escript=$(dirname "$erl")/escript
  "$escript" "$work/oracle.escript" "$work" || { echo "FAIL: erl could not evaluate the texts"; exit 1; }
  n=1
  while IFS= read -r text; do
    for opt in "plain:" "c6:--compressed" "c9:--compressed=9" "m0:--minor-version=0" "m2:--minor-version=2"; do
      name=${opt%%:*}; flag=${opt#*:}
      if [ "$n" -ge 14 ]; then continue; fi  # lists:seq(...) etc. are expressions, not terms
      # shellcheck disable=SC2086
      "$distspec" term encode $flag -- "$text" >"$work/$n.$name.ours" 2>"$work/err" ||
        fail "encode $flag '$text': $(cat "$work/err")"
      cmp -s "$work/$n.$name.ours" "$work/$n.$name.beam" ||
        fail "encode $flag '$text' differs from term_to_binary"
    done
    for name in plain c6 m0 m2; do
      "$distspec" term decode "$work/$n.$name.beam" >"$work/$n.$name.printed" 2>"$work/err" ||
        fail "decode of term_to_binary($text) [$name]: $(cat "$work/err")"
      cmp -s "$work/$n.$name.printed" "$work/$n.w" ||
        fail "decode [$name] of '$text' printed '$(cat "$work/$n.$name.printed")', erl printed '$(cat "$work/$n.w")'"
    done
    n=$((n + 1))
  done <"$work/texts"
  [ "$n" -gt 16 ] || fail "only $((n - 1)) texts checked"
  ;;
*)
  echo "unknown case $case_name"; exit 2 ;;
esac

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "ok"
