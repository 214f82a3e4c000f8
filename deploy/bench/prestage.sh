#!/usr/bin/env bash
# Prestaged content (issue 18, SPEC C9), one run, side by side: the time to export and to
# import 1 GiB (16 x 64 MiB pseudo-random files) as a prestaged file, next to tar of the
# same folder.
#   export: ferry content export (from the site library over HTTP)   vs  tar cf of the folder
#   import: pull-dp import-prestaged (every chunk and the version checked) vs tar xf
#   upload: ferry dp import (HTTP upload to a running DP, checked as it arrives)
# Each timing is the median of RUNS runs (default 3); page cache warm for both sides.
#
#   deploy/bench/prestage.sh
#
# Release build recommended: FERRY_BIN_DIR=$(swift build -c release --show-bin-path).
set -euo pipefail
bin=${FERRY_BIN_DIR:-$(swift build -c release --show-bin-path)}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/ferry-prestage.XXXXXX)
data=$work/cluster
export FERRY_HOME=$work/home
cleanup() {
  "$bin/ferry" cluster down --data "$data" >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && { echo "kept $work"; return; }
  rm -rf "$work"
}
trap cleanup EXIT
ferry() { "$bin/ferry" "$@" --data "$data"; }
now() { date +%s.%N; }
median() { python3 -c 'import sys,statistics; print("%.2f" % statistics.median(map(float, sys.argv[1:])))' "$@"; }

mkdir -p "$work/source"
python3 - "$work/source" <<'PY'
import os, random, sys
rng = random.Random(9)
for i in range(16):
    with open(os.path.join(sys.argv[1], f"part{i:02}.bin"), "wb") as f:
        for _ in range(64): f.write(rng.randbytes(1 << 20))
PY
ferry cluster up --source-root "$work" >/dev/null
ferry content create --name big --source "$work/source" >/dev/null

export_times=(); tar_c_times=(); import_times=(); tar_x_times=(); upload_times=()
for run in $(seq "$runs"); do
  rm -f "$work/big.ferrypkg" "$work/big.tar"
  start=$(now); ferry content export big --out "$work/big.ferrypkg" >/dev/null; export_times+=("$(echo "$(now) - $start" | bc)")
  start=$(now); tar cf "$work/big.tar" -C "$work" source; tar_c_times+=("$(echo "$(now) - $start" | bc)")
  # A stopped DP's own folder each run: every chunk is new.
  rm -rf "$work/dpx"
  sed "s|^dataDirectory:.*|dataDirectory: '$work/dpx'|" "$data/dp2/config.yaml" > "$work/dpx.yaml"
  start=$(now); "$bin/pull-dp" import-prestaged --config "$work/dpx.yaml" "$work/big.ferrypkg" >/dev/null; import_times+=("$(echo "$(now) - $start" | bc)")
  rm -rf "$work/untar"; mkdir -p "$work/untar"
  start=$(now); tar xf "$work/big.tar" -C "$work/untar"; tar_x_times+=("$(echo "$(now) - $start" | bc)")
done
start=$(now); ferry dp import "$work/big.ferrypkg" --dp dp1 >/dev/null; upload_times+=("$(echo "$(now) - $start" | bc)")

size=$(stat -c %s "$work/big.ferrypkg")
echo "prestaged file: $((size / 1048576)) MiB (tar: $(( $(stat -c %s "$work/big.tar") / 1048576 )) MiB); median of $runs runs, seconds"
printf '%-34s %8s %8s %8s\n' "" "Ferry" "tar" "ratio"
e=$(median "${export_times[@]}"); c=$(median "${tar_c_times[@]}")
printf '%-34s %8s %8s %8s\n' "export 1 GiB" "$e" "$c" "$(echo "scale=2; $e / $c" | bc)"
i=$(median "${import_times[@]}"); x=$(median "${tar_x_times[@]}")
printf '%-34s %8s %8s %8s\n' "import on the DP host (verified)" "$i" "$x" "$(echo "scale=2; $i / $x" | bc)"
printf '%-34s %8s\n' "ferry dp import (HTTP upload)" "${upload_times[0]}"
