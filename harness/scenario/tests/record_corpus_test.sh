#!/usr/bin/env bash
# `distspec run --record-corpus DIR` (issue 5, record-to-seed): a run whose peer node talks to two
# erl nodes writes its handshake messages and terms into DIR, each file named by the SHA-256 of
# its content, and the files replay through the fuzz targets (the standalone replay driver).
# usage: record_corpus_test.sh DISTSPEC ETF_DECODE HANDSHAKE_ACCEPTOR HANDSHAKE_INITIATOR
set -u
distspec="$1"; etf_decode="$2"; acceptor="$3"; initiator="$4"
data="$(cd "$(dirname "$0")" && pwd)/data"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- output:"; cat "$work/out" 2>/dev/null; exit 1; }

"$distspec" run "$data/record-corpus.yaml" --record-corpus "$work/corpus" >"$work/out" 2>&1 ||
  fail "the run failed"
for kind in handshake term; do
  n=$(find "$work/corpus/$kind" -type f | wc -l)
  [ "$n" -ge 3 ] || fail "expected at least 3 files in $kind/, found $n"
  for f in "$work/corpus/$kind"/*; do
    [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || fail "$f is not named by its SHA-256"
  done
done
for f in "$work/corpus/term"/*; do
  [ "$(head -c1 "$f" | od -An -tu1 | tr -d ' ')" = 131 ] || fail "$f does not start with 131"
done
# Both roles: a send_name from the other node (N) and our own, and both challenges/replies.
types="$(for f in "$work/corpus/handshake"/*; do dd if="$f" bs=1 skip=2 count=1 2>/dev/null; done | fold -w1 | sort -u | tr -d '\n')"
for t in N s a r; do [[ "$types" == *"$t"* ]] || fail "no handshake message of type '$t' (saw '$types')"; done
"$etf_decode" "$work/corpus/term" >"$work/replay" 2>&1 || fail "etf_decode failed on the recorded terms: $(tail -3 "$work/replay")"
"$acceptor" "$work/corpus/handshake" >>"$work/replay" 2>&1 || fail "handshake_acceptor failed: $(tail -3 "$work/replay")"
"$initiator" "$work/corpus/handshake" >>"$work/replay" 2>&1 || fail "handshake_initiator failed: $(tail -3 "$work/replay")"
echo "ok: record-corpus ($(find "$work/corpus" -type f | wc -l) files; handshake types $types)"
