#!/usr/bin/env bash
# The WAN path to DPs (issue 16), one run, side by side:
#   1. rate-limit accuracy through a tbf-limited link (a network namespace holding one DP
#      behind WAN_RATE, default 20mbit): pulse 1000 KB / 1 s (1.02 MB/s), pulse 64 KB / 1 s,
#      and 20 % of the link, each for about RUN_SECONDS (default 45): achieved rate next to
#      the setting;
#   2. loopback throughput of SIZE_MB (default 1024) to 8 DPs, unlimited, next to nginx
#      (sendfile) serving the same files to 8 curl clients.
#
#   deploy/bench/wan.sh [SIZE_MB]      (root: it makes one namespace and removes it)
#
# Release build recommended: FERRY_BIN_DIR=$(swift build -c release --show-bin-path).
# Installs nginx from Debian when it is missing.
set -euo pipefail
size_mb=${1:-1024}
rate=${WAN_RATE:-20mbit}
run_seconds=${RUN_SECONDS:-45}
bin=${FERRY_BIN_DIR:-$(swift build -c release --show-bin-path)}
[ "$(id -u)" = 0 ] || { echo "wan.sh: needs root (a network namespace and tc)" >&2; exit 1; }
ip netns list | grep -q '^fwb-dp' && { echo "wan.sh: namespace fwb-dp exists; remove it with 'ip netns del fwb-dp'" >&2; exit 1; }
command -v nginx >/dev/null || { apt-get install -y -qq nginx >/dev/null || { echo "wan.sh: cannot install nginx" >&2; exit 1; }; }

work=$(mktemp -d /tmp/ferry-wan.XXXXXX)
chmod 755 "$work"   # nginx's workers (user nobody) read the sources from here
data=$work/cluster
export FERRY_HOME=$work/home
cleanup() {
  [ -f "$work/pids" ] && xargs -r kill < "$work/pids" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  "$bin/ferry" cluster down --data "$data" >/dev/null 2>&1 || true
  ip netns del fwb-dp 2>/dev/null || true
  ip link del fwb-host 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ferry() { "$bin/ferry" "$@" --data "$data"; }
now() { date +%s.%N; }

# An extra DP NAME at HOST:BUS_PORT/HTTP_PORT (in NAMESPACE if given), made from dp2's
# configuration with its own key, then added to the running site with `ferry dp add`.
add_dp() {
  local name=$1 host=$2 bus=$3 http=$4 namespace=${5:-}
  "$bin/ferry" keys generate --out "$data/keys/$name.key" >/dev/null
  mkdir -p "$data/$name"
  sed -e "s#/dp2#/$name#g" -e "s#^node: dp2#node: $name#" -e "s#bind: tcp://127.0.0.1:[0-9]*#bind: tcp://$host:$bus#" \
      -e "s#^  host: 127.0.0.1#  host: $host#" -e "s#^  port: [0-9]*#  port: $http#" \
      "$data/dp2/config.yaml" > "$data/$name/config.yaml"
  if [ -n "$namespace" ]; then
    ip netns exec "$namespace" "$bin/pull-dp" --config "$data/$name/config.yaml" > "$data/$name/stdout.log" 2>&1 &
  else
    "$bin/pull-dp" --config "$data/$name/config.yaml" > "$data/$name/stdout.log" 2>&1 &
  fi
  echo $! >> "$work/pids"
  for _ in $(seq 1 100); do curl -sf "http://$host:$http/health" >/dev/null && break; sleep 0.1; done
  ferry dp add "$name" --bus "tcp://$host:$bus" --http "http://$host:$http" --public-key-file "$data/keys/$name.key.pub" >/dev/null
}

# A folder of random files, SIZE bytes in all, at most 64 MiB each.
make_source() {
  local folder=$1 bytes=$2 index=0
  mkdir -p "$folder"
  while [ "$bytes" -gt 0 ]; do
    local part=$(( bytes > 67108864 ? 67108864 : bytes ))
    head -c "$part" /dev/urandom > "$folder/part$index.bin"
    bytes=$(( bytes - part )); index=$(( index + 1 ))
  done
}

# Distributes CONTENT to DP and prints "bytes seconds" of the PTM's push (its log line).
push() {
  local content=$1 point=$2
  ferry distribute "$content" --dp "$point" >/dev/null
  ferry status "$content" --wait --timeout 900 >/dev/null
  grep "\] pushed " "$data/ptm/pkgxfermgr.log" | grep "content=$content" | grep "dp=$point" | tail -1 \
    | sed -E 's/.*bytes=([0-9]+).*seconds=([0-9.]+).*/\1 \2/'
}

mkdir -p "$work/sources"
FERRY_BIN_DIR=$bin "$bin/ferry" cluster up --data "$data" >/dev/null
echo "Ferry WAN benchmark ($(date -u +%FT%TZ), $(nproc) cores, binaries $bin)"

# 1. Rate limits through a tbf link.
ip netns add fwb-dp
ip link add fwb-host type veth peer name eth0 netns fwb-dp
ip addr add 10.78.0.1/30 dev fwb-host
ip link set fwb-host up
ip netns exec fwb-dp ip link set lo up
ip netns exec fwb-dp ip addr add 10.78.0.2/30 dev eth0
ip netns exec fwb-dp ip link set eth0 up
tc qdisc add dev fwb-host root tbf rate "$rate" burst 32kbit latency 400ms
ip netns exec fwb-dp tc qdisc add dev eth0 root tbf rate "$rate" burst 32kbit latency 400ms
add_dp wan1 10.78.0.2 7301 8301 fwb-dp

echo
echo "1. Rate limits to one DP behind a $rate tbf link (about $run_seconds s each; achieved = bytes / the PTM's push time)"
printf '   %-22s %14s %14s %10s %8s\n' "limit" "setting B/s" "achieved B/s" "bytes" "error"
# The link itself, unlimited, for the share the percentage applies to.
make_source "$work/sources/probe" $(( 16 * 1024 * 1024 ))
ferry content create --name probe --source "$work/sources/probe" >/dev/null
read -r bytes seconds < <(push probe wan1)
link=$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%.0f", b / s }')
printf '   %-22s %14s %14s %10s %8s\n' "unlimited (the link)" "-" "$link" "$bytes" "-"
run() {
  local name=$1 limit=$2 setting=$3
  local size=$(awk -v r="$setting" -v s="$run_seconds" 'BEGIN { printf "%d", r * s }')
  make_source "$work/sources/$name" "$size"
  ferry content create --name "$name" --source "$work/sources/$name" >/dev/null
  ferry dp set wan1 --rate "$limit" >/dev/null
  read -r bytes seconds < <(push "$name" wan1)
  awk -v l="$limit" -v set="$setting" -v b="$bytes" -v s="$seconds" 'BEGIN {
    a = b / s; printf "   %-22s %14.0f %14.0f %10d %+7.1f%%\n", l, set, a, b, (a - set) / set * 100 }'
}
run pulse-1000 pulse:1000:1 1024000
run pulse-64 pulse:64:1 65536
run share-20 20% "$(awk -v l="$link" 'BEGIN { printf "%.0f", l * 0.2 }')"
ferry dp set wan1 --rate unlimited >/dev/null
ferry dp remove wan1 >/dev/null

# 2. Loopback throughput to 8 DPs next to nginx.
echo
echo "2. $size_mb MiB to 8 DPs on loopback, unlimited, next to nginx (sendfile) serving the same files to 8 curl clients"
for index in 3 4 5 6 7 8; do add_dp "dp$index" 127.0.0.1 $(( 7400 + index )) $(( 8400 + index )); done
make_source "$work/sources/big" $(( size_mb * 1024 * 1024 ))
total=$(du -sb "$work/sources/big" | cut -f1)
cat "$work/sources/big"/* > /dev/null
t0=$(now); ferry content create --name big --source "$work/sources/big" >/dev/null; t1=$(now)
cat > "$work/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 256; }
http {
  access_log off; sendfile on; tcp_nopush on;
  server { listen 127.0.0.1:8480; root $work/sources/big; }
}
EOF
nginx -c "$work/nginx.conf"
sleep 0.5
files=$(ls "$work/sources/big")
t2=$(now)
clients=()
for client in $(seq 1 8); do
  ( for file in $files; do curl -sf -o /dev/null "http://127.0.0.1:8480/$file" || echo "wan.sh: nginx did not serve $file" >&2; done ) &
  clients+=($!)
done
# Only the curl loops: the DPs started above are children of this shell too.
wait "${clients[@]}"
t3=$(now)
kill "$(cat "$work/nginx.pid")"; rm -f "$work/nginx.pid"
t4=$(now)
ferry distribute big --dp dp1 --dp dp2 --dp dp3 --dp dp4 --dp dp5 --dp dp6 --dp dp7 --dp dp8 >/dev/null
ferry status big --wait --timeout 3600 >/dev/null
t5=$(now)
awk -v b="$total" -v i="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" -v n="$(awk -v a="$t2" -v b="$t3" 'BEGIN{print b-a}')" \
    -v f="$(awk -v a="$t4" -v b="$t5" 'BEGIN{print b-a}')" 'BEGIN {
  printf "   import (content create):            %7.2f s  %8.1f MB/s\n", i, b / i / 1e6
  printf "   nginx sendfile, 8 curl x %d MiB:     %7.2f s  %8.1f MB/s aggregate\n", b / 1048576, n, 8 * b / n / 1e6
  printf "   Ferry PTM to 8 DPs (distribute -> all installed, each DP writes and verifies its copy):\n"
  printf "                                       %7.2f s  %8.1f MB/s aggregate  (%.2f x nginx)\n", f, 8 * b / f / 1e6, (8 * b / f) / (8 * b / n)
}'
