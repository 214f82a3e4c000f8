#!/usr/bin/env bash
# Pull DPs take load off the site (issue 17), one run, side by side on one local cluster:
# one content of SIZE_MB (default 200) to 16 DPs, first all standard (the PTM pushes to
# each), then a second content of the same size to the same 16 DPs as 2 standard + 14 pull
# DPs in a two-level tree (dp3-dp6 pull from dp1/dp2, dp7-dp16 from dp3-dp6). Prints the
# bytes the site sent, the distribution manager's and the PTM's CPU seconds, and the wall
# time from `ferry distribute` until all 16 are installed.
#
#   deploy/bench/pull.sh [SIZE_MB]
#
# Release build recommended: FERRY_BIN_DIR=$(swift build -c release --show-bin-path).
set -euo pipefail
size_mb=${1:-200}
bin=${FERRY_BIN_DIR:-$(swift build -c release --show-bin-path)}
command -v jq >/dev/null || { echo "pull.sh: needs jq (make deps installs it)" >&2; exit 1; }

work=$(mktemp -d /tmp/ferry-pull.XXXXXX)
data=$work/cluster
export FERRY_HOME=$work/home
cleanup() {
  [ -f "$work/pids" ] && xargs -r kill < "$work/pids" 2>/dev/null || true
  "$bin/ferry" cluster down --data "$data" >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
ferry() { "$bin/ferry" "$@" --data "$data"; }
now() { date +%s.%N; }
ticks=$(getconf CLK_TCK)
# User + system CPU seconds of a cluster service so far.
cpu() { awk -v t="$ticks" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$(cat "$data/$1/pid")/stat"; }
# Bytes the PTM pushed to DPs so far (every DP's counter summed).
pushed() {
  local http; http=$(jq -r '.httpURL' "$data/ptm/endpoints.json")
  curl -sf "$http/metrics" | awk '/^ferry_ptm_pushed_bytes_total/ { sum += $NF } END { printf "%.0f", sum }'
}

# One more DP NAME, from dp2's configuration with its own key, folder and ports, added with `ferry dp add`.
add_dp() {
  local name=$1
  "$bin/ferry" keys generate --out "$data/keys/$name.key" >/dev/null
  mkdir -p "$data/$name"
  sed -e "s#/dp2/#/$name/#g" -e "s#/dp2\$#/$name#" -e "s#^node: dp2#node: $name#" -e "s#keys/dp2.key#keys/$name.key#" \
      -e "s#^  bind: .*#  bind: tcp://127.0.0.1:0#" -e "s#^  port: .*#  port: 0#" \
      "$data/dp2/config.yaml" > "$data/$name/config.yaml"
  [ -n "${PARALLEL:-}" ] && sed -i "s#^  sourceRetrySeconds: .*#  sourceRetrySeconds: 5\n  parallelDownloads: $PARALLEL#" "$data/$name/config.yaml"
  "$bin/pull-dp" --config "$data/$name/config.yaml" > "$data/$name/stdout.log" 2>&1 &
  echo $! >> "$work/pids"
  for _ in $(seq 1 200); do [ -s "$data/$name/endpoints.json" ] && break; sleep 0.05; done
  ferry dp add "$name" --bus "$(jq -r .busEndpoint "$data/$name/endpoints.json")" --http "$(jq -r .httpURL "$data/$name/endpoints.json")" \
        --public-key-file "$data/keys/$name.key.pub" >/dev/null
}

source_of() {
  local folder=$work/sources/$1
  mkdir -p "$folder"
  head -c $(( size_mb * 1024 * 1024 )) /dev/urandom > "$folder/disk.img"
  echo "$folder"
}

FERRY_BIN_DIR=$bin "$bin/ferry" cluster up --data "$data" >/dev/null
for index in $(seq 3 16); do add_dp "dp$index"; done
points=()
for index in $(seq 1 16); do points+=(--dp "dp$index"); done
echo "Ferry pull-DP benchmark ($(date -u +%FT%TZ), $(nproc) cores, binaries $bin): $size_mb MiB to 16 DPs"
printf '   %-44s %12s %8s %8s %8s\n' "layout" "site sent" "copies" "DM+PTM" "wall"

run() {
  local label=$1 content=$2
  ferry content create --name "$content" --source "$(source_of "$content")" >/dev/null
  local bytes0 site0 ptm0 t0 t1
  bytes0=$(pushed); site0=$(cpu site); ptm0=$(cpu ptm); t0=$(now)
  ferry distribute "$content" "${points[@]}" >/dev/null
  ferry status "$content" --wait --timeout 3600 >/dev/null
  t1=$(now)
  awk -v l="$label" -v b0="$bytes0" -v b1="$(pushed)" -v s0="$site0" -v s1="$(cpu site)" -v p0="$ptm0" -v p1="$(cpu ptm)" \
      -v t0="$t0" -v t1="$t1" -v size=$(( size_mb * 1024 * 1024 )) 'BEGIN {
    printf "   %-44s %9.1f MB %8.2f %7.2fs %7.1fs\n", l, (b1 - b0) / 1e6, (b1 - b0) / size, (s1 - s0) + (p1 - p0), t1 - t0 }'
}

run "16 standard DPs (the PTM pushes to each)" standard
# The tree: dp1, dp2 standard; dp3-dp6 pull from them; dp7-dp16 from dp3-dp6.
for index in 3 4 5 6; do ferry dp set "dp$index" --pull --source "dp$(( (index - 3) % 2 + 1 )):1" --source "dp$(( (index - 2) % 2 + 1 )):2" >/dev/null; done
for index in $(seq 7 16); do ferry dp set "dp$index" --pull --source "dp$(( (index - 7) % 4 + 3 )):1" --source "dp$(( (index - 6) % 4 + 3 )):2" >/dev/null; done
run "2 standard + 14 pull DPs in a two-level tree" tree
