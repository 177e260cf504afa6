#!/usr/bin/env bash
# Runs Redis 7.2.6's own Sentinel test suite (tests/sentinel, unmodified)
# against raftinel with the runner in $RAFTINEL_CONFORMANCE (default
# ../shared/conformance: run.sh and the suite), and passes only when no step
# failed. Anything else the suite counts (a crash, output on a server's
# stderr, leaked fds) fails the run too.
#   bash scripts/conformance.sh            # plain
#   bash scripts/conformance.sh --tls      # over TLS
#   CONFORMANCE_LOG=path bash scripts/conformance.sh   # judge a log only
# The suite uses the fixed ports 20000-20009 and 30000-30009: one run at a
# time on a machine.
set -uo pipefail
cd "$(dirname "$0")/.."
# The kit: $RAFTINEL_CONFORMANCE, else the workspace's ../shared/conformance,
# else the unmodified copy in third_party/redis-sentinel-suite.
suite="${RAFTINEL_CONFORMANCE:-../shared/conformance}"
if [ -z "${RAFTINEL_CONFORMANCE:-}" ] && [ ! -f "$suite/run.sh" ]; then
  suite=third_party/redis-sentinel-suite
fi
if [ ! -f "$suite/run.sh" ]; then
  echo "conformance: no runner at $suite/run.sh (set RAFTINEL_CONFORMANCE to the directory holding run.sh and redis-7.2.6/)" >&2
  exit 1
fi
# Every multi-node cluster has a raft-secret. The suite takes a majority of
# sentinels down (06, 07) and then queries and reconfigures the others:
# raftinel runs in its documented Sentinel-compatible mode there
# (raft-serve-stale yes); by default a node without a Raft leader answers
# address queries with -STALE (design rule 8, docs/divergence.md).
extra=$'raft-secret conformance-secret-0123456789\nraft-serve-stale yes'
if [ "${1:-}" = "--tls" ]; then
  # Under --tls the suite gives each sentinel a TLS port and a plain port
  # (20000/20001, 20002/20003, ...); the nodes announce their TLS ports,
  # which run.sh's fixed raft-peers line does not list.
  extra+=$'\nraft-peers 127.0.0.1:20000 127.0.0.1:20002 127.0.0.1:20004 127.0.0.1:20006 127.0.0.1:20008'
fi
if [ -n "${CONFORMANCE_LOG:-}" ]; then
  out="$CONFORMANCE_LOG" # only judge an existing log
else
  out="$(mktemp -d)/conformance.log"
  start=$(date +%s)
  RAFTINEL_EXTRA="$extra" OUT="$out" SUITE_TIMEOUT="${SUITE_TIMEOUT:-900}" bash "$suite/run.sh" "" "$@"
  echo "conformance: $(( $(date +%s) - start )) s, log $out"
fi

# unit|test of every failed step
failed=$(awk '/^Testing unit: /{unit=$3} /^[0-9:]+> .*: FAILED/{sub(/^[0-9:]+> /,""); sub(/: FAILED.*/,""); print unit "|" $0}' "$out")
rc=0
while IFS= read -r f; do
  [ -z "$f" ] && continue
  echo "conformance: FAILED: $f"
  rc=1
done <<<"$failed"
# An error outside any test (a unit's own code) is unexpected too.
if grep -qE '^FAILED' "$out"; then
  echo "conformance: FAILED outside a test: $(grep -E '^FAILED' "$out" | head -3)"
  rc=1
fi
# The suite's own count must match the failed steps (one raising an error
# counts twice: the step and its unit): more means a crash report, output
# on a server's stderr or leaked fds.
counted=$(grep -oE 'WARNING [0-9]+ test\(s\) failed' "$out" | grep -oE '[0-9]+' || echo 0)
steps=$(grep -E '^[0-9:]+> .*: FAILED' "$out" | awk '/caught an error in the test/{n+=2; next} {n++} END{print n+0}')
if [ "$counted" != "$steps" ]; then
  echo "conformance: the suite counts $counted failures, its failed steps $steps: see $out"
  rc=1
fi
if ! grep -qE 'GOOD! No errors\.|WARNING [0-9]+ test\(s\) failed' "$out"; then
  echo "conformance: the suite did not finish: see $out"
  rc=1
fi
[ $rc = 0 ] && echo "conformance: OK (no step failed)"
exit $rc
