#!/usr/bin/env bash
# The resident memory of 3 agents and dp1, every second, while SOURCE_DIR is deployed with
# multicast on (test bed 1 subnet x 3 agents, 1 Gbit/s WAN); then each one's peak (VmHWM).
# SPEC S8: memory must stay flat whatever the content size.
#
#   deploy/bench/memory-trace.sh SOURCE_DIR      (as root; leaves the test bed up: down.sh)
set -euo pipefail
[ $# = 1 ] && [ -d "$1" ] || { echo "usage: memory-trace.sh SOURCE_DIR (a folder to deploy)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "memory-trace.sh: needs root (network namespaces)" >&2; exit 1; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -z "${FERRY_BIN_DIR:-}" ]; then (cd "$root" && swift build -c release >/dev/null); FERRY_BIN_DIR="$(cd "$root" && swift build -c release --show-bin-path)"; fi
bin=$FERRY_BIN_DIR
export TESTBED_DATA=${BENCH_DIR:-/var/tmp}/ferry-memtrace/cluster FERRY_BIN_DIR=$bin FERRY_HOME=${BENCH_DIR:-/var/tmp}/ferry-memtrace/home
rm -rf ${BENCH_DIR:-/var/tmp}/ferry-memtrace; mkdir -p ${BENCH_DIR:-/var/tmp}/ferry-memtrace
$root/deploy/testbed/down.sh >/dev/null 2>&1 || true
WAN_RATE=1gbit $root/deploy/testbed/up.sh 1 3 > ${BENCH_DIR:-/var/tmp}/ferry-memtrace/up.out
f=$bin/ferry
$f content create --name image --source "$1" >/dev/null
$f boundary-group create everyone --subnet 10.77.0.0/16 >/dev/null
$f boundary-group add-dp everyone dp1 >/dev/null
$f distribute image --dp dp1 >/dev/null
$f status image --wait --timeout 600 >/dev/null
$f deploy image --collection "All Systems" --cache-only --multicast on --multicast-delay 0 >/dev/null
t0=$(date +%s)
while true; do
  line="$(( $(date +%s) - t0 ))s"
  for a in s1a1 s1a2 s1a3 dp1; do pid=$(cat $TESTBED_DATA/$a/pid); line+=" $a=$(awk '/VmRSS/ {printf "%d", $2/1024}' /proc/$pid/status)"; done
  echo "$line"
  $f deployment status image --json | python3 -c '
import json, sys
a=[x for x in json.load(sys.stdin)["agents"] if x["agent"].startswith("s1a")]
sys.exit(0 if len(a)==3 and all(x["state"]=="cached" for x in a) else 1)' && break
  sleep 1
done
for a in s1a1 s1a2 s1a3 dp1; do pid=$(cat $TESTBED_DATA/$a/pid); echo "$a peak $(awk '/VmHWM/ {printf "%d", $2/1024}' /proc/$pid/status) MB"; done
$f deployment status image | head -8
