#!/usr/bin/env bash
# Throughput of `ferry content create` on a 1 GiB folder next to `sha256sum` of the same
# files, in one run. Usage: deploy/bench/import.sh [SIZE_MB]   (release build recommended:
# FERRY_BIN_DIR=$(swift build -c release --show-bin-path))
set -euo pipefail
size_mb="${1:-1024}"
bin="${FERRY_BIN_DIR:-$(swift build -c release --show-bin-path)}"
work="$(mktemp -d /tmp/ferry-bench.XXXXXX)"
trap '"$bin/ferry" cluster down --data "$work/cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export FERRY_HOME="$work/home"
mkdir -p "$work/source"
files=$(( size_mb / 64 ))
for i in $(seq 1 "$files"); do head -c $((64 * 1024 * 1024)) /dev/urandom > "$work/source/file$i.bin"; done
sync
bytes=$(du -sb "$work/source" | cut -f1)
cat "$work/source"/* > /dev/null   # warm the page cache for both
t0=$(date +%s.%N); sha256sum "$work/source"/* > /dev/null; t1=$(date +%s.%N)
"$bin/ferry" cluster up --data "$work/cluster" > /dev/null
t2=$(date +%s.%N); "$bin/ferry" content create --data "$work/cluster" --name bench --source "$work/source" > /dev/null; t3=$(date +%s.%N)
awk -v b="$bytes" -v s="$(echo "$t1 - $t0" | awk '{print $1-$3}')" -v f="$(echo "$t3 - $t2" | awk '{print $1-$3}')" 'BEGIN {
  printf "bytes: %d (%d files)\n", b, b / 67108864
  printf "sha256sum:            %6.2f s  %7.1f MB/s\n", s, b / s / 1e6
  printf "ferry content create: %6.2f s  %7.1f MB/s (chunk, hash, store once, manifest)\n", f, b / f / 1e6
}'
