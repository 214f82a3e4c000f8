#!/usr/bin/env bash
# Ferry's multicast next to uftp and udpcast on one test-bed subnet, and the WAN bytes one
# subnet costs with multicast on, off with peer caching, and off without it.
#
#   deploy/bench/multicast.sh [SIZE_MB] [RUNS]        (as root; builds the release binaries)
#
# Part 1, the LAN: deploy/testbed/up.sh 1 9 (its site stopped, so only the tools run).
#   Host s1a1 sends SIZE_MB (default 200) of pseudo-random data to 3 and to 8 receivers
#   on the same bridge, at 0 % and 1 % loss (nftables on the bridge), every tool at the
#   same target rate RATE_MBIT (default 900, PLATFORM.md's anchors):
#     ferry   - ferry-multicast-bench: the agent's NORM hub and settings, chunks packed
#               into NORM objects (ChunkBundle), every chunk's SHA-256 checked against
#               the manifest before it is stored as its own file;
#     uftp    - uftp -R / uftpd;
#     udpcast - udp-sender --max-bitrate / udp-receiver.
#   Time: from the sender's start until the last receiver has the whole file; each copy
#   is checked by SHA-256. The median of RUNS (default 3) runs is printed.
# Part 2, the WAN: deploy/testbed/up.sh 1 4 (WAN_RATE, default 100mbit), a SIZE_MB
#   content deployed --cache-only to all four agents: with multicast on, with multicast
#   off (peer caching), and with peer caching off. IP bytes into the subnet and the time
#   from `ferry deploy` until every agent has it cached.
#
# Part 3, memory (SPEC S8): the same site with 3 agents, multicast on, deploying SIZE_MB
#   and then BIG_MB (default 4096) of content; peak resident memory (VmHWM) of the
#   representative, a member, dp1 and the DM after each. Flat means the same for both.
#   Its WAN is MEMORY_WAN_RATE (default 1gbit), so the big run takes minutes, not an hour.
#
# Environment: FERRY_BIN_DIR (default: the release build), RATE_MBIT, WAN_RATE, BIG_MB,
# PARTS (any of "lan wan memory", default all three); for the LAN part TOOLS (default
# "ferry uftp udpcast"), RECEIVERS (default "3 8"), LOSS_PERMILLE (default "0 10") and
# FERRY_BENCH_ARGS (extra options for ferry-multicast-bench, e.g. "--bundle 1024"), and
# RECEIVE_FS: "fresh" (default: every run's receivers write into a new journaled ext4
# filesystem held in RAM, as an endpoint's disk) or "host" (the work folder), and
# SCHEDULING: "shipped" (default: every tool as it runs out of the box; Ferry's agents, and
# so its benchmark, use Linux's batch scheduling policy) or "batch" (uftp and udpcast run
# under `chrt -b 0` too, for a like-for-like comparison). Installs uftp and udpcast if missing.
set -euo pipefail
size_mb=${1:-200}
runs=${2:-3}
rate=${RATE_MBIT:-900}
wan_rate=${WAN_RATE:-100mbit}
parts=${PARTS:-"lan wan memory"}
tools=${TOOLS:-"ferry uftp udpcast"}
receiver_counts=${RECEIVERS:-"3 8"}
losses=${LOSS_PERMILLE:-"0 10"}
big_mb=${BIG_MB:-4096}
receive_fs=${RECEIVE_FS:-fresh}
case $receive_fs in fresh|host) ;; *) echo "multicast.sh: RECEIVE_FS must be fresh or host, not '$receive_fs'" >&2; exit 2 ;; esac
tool_prefix=()
case ${SCHEDULING:-shipped} in
  shipped) ;;
  batch) tool_prefix=(chrt -b 0) ;;
  *) echo "multicast.sh: SCHEDULING must be shipped or batch, not '$SCHEDULING'" >&2; exit 2 ;;
esac
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
[ "$(id -u)" = 0 ] || { echo "multicast.sh: needs root (network namespaces)" >&2; exit 1; }
for tool in uftp udpcast; do
  dpkg -s "$tool" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool"; }
done
if [ -z "${FERRY_BIN_DIR:-}" ]; then
  (cd "$root" && swift build -c release >/dev/null)
  FERRY_BIN_DIR="$(cd "$root" && swift build -c release --show-bin-path)"
fi
bin=$FERRY_BIN_DIR
bench=$bin/ferry-multicast-bench
# Not /tmp: on this host creating a file under /tmp costs 0.2–0.7 ms (ext4 inode allocation
# in a crowded block group), which a store of one file per chunk pays 2500 times per 200 MB.
work="$(mktemp -d "${BENCH_DIR:-/var/tmp}/ferry-mbench.XXXXXX")"
export TESTBED_DATA="$work/cluster" FERRY_BIN_DIR="$bin" FERRY_HOME="$work/home"
rx_image=/dev/shm/ferry-mbench-rx.$$.img
cleanup() { "$root/deploy/testbed/down.sh" >/dev/null 2>&1 || true; release_receive_fs; rm -rf "$work"; }
trap cleanup EXIT
# Background jobs run `ip netns exec` directly (it execs the tool, so $! is the tool's pid
# and it can be killed); a shell function in the background would be a subshell.
inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
address() { echo "10.77.1.$((10 + $1))"; }

mkdir -p "$work/source"
head -c $((size_mb * 1000 * 1000)) /dev/urandom > "$work/source/image.bin"
expected=$(sha256sum "$work/source/image.bin" | cut -d' ' -f1)
echo "content: $size_mb MB, sha256 ${expected:0:16}…"

# Every run's receivers write under $work/rx. With RECEIVE_FS=fresh that is a new ext4
# filesystem (journaled, as on an endpoint) on a loop device backed by RAM, made for the
# run and removed after it. Why not this host's disk: its root filesystem is ext4 without
# a journal, and such an ext4 checks every inode it considers for allocation against the
# inode table and passes over those freed in the last 60 s (360 s while the table block is
# dirty). After a few runs had deleted their stores, a receiver that creates one file per
# chunk spent 15 % of its CPU in that scan (perf: recently_deleted); uftp and udpcast,
# one file per run, did not. A journaled ext4 does no such check.
make_receive_fs() {
  release_receive_fs
  mkdir -p "$work/rx"
  [ "$receive_fs" = fresh ] || return 0
  truncate -s $(( $1 * size_mb * 12 / 10 + 512 ))M "$rx_image"
  mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$rx_image"
  mount -o loop "$rx_image" "$work/rx"
}
# Host stores stay until the end of the table cell (forget_stores).
release_receive_fs() {
  if mountpoint -q "$work/rx" 2>/dev/null; then umount "$work/rx"; rmdir "$work/rx"; fi
  rm -f "$rx_image"
}

# The SHA-256 of the file a receiver's chunk store holds, from its manifest's chunk list.
store_hash() {
  python3 - "$1" "$2" <<'EOF'
import hashlib, json, sys
store, version = sys.argv[1], sys.argv[2]
manifest = json.load(open(f"{store}/manifests/{version}.json"))
digest = hashlib.sha256()
for entry in manifest["entries"]:
    for chunk in entry.get("chunks", []):
        digest.update(open(f"{store}/chunks/{chunk['hash'][:2]}/{chunk['hash']}", "rb").read())
print(digest.hexdigest())
EOF
}

# One transfer to receivers 2..(n+1); prints seconds, or "fail".
run_ferry() {
  local n=$1 pids=() j t0 t1 sender
  make_receive_fs "$n"
  local rx="$work/rx/$RANDOM$RANDOM"
  for j in $(seq 2 $((n + 1))); do
    ip netns exec "fy-s1-a$j" "$bench" receive --store "$rx-$j" --manifest-from "$work/sender" --version "$version" \
      --address "$(address "$j")" --rate "$rate" ${FERRY_BENCH_ARGS:-} --timeout 120 > "$work/rx$j.out" 2>&1 & pids+=($!)
  done
  sleep 1.5   # every receiver has joined the group
  t0=$(now)
  ip netns exec fy-s1-a1 "$bench" send --store "$work/sender" --version "$version" --address "$(address 1)" --rate "$rate" ${FERRY_BENCH_ARGS:-} \
    --linger 300 > "$work/send.out" 2>&1 & sender=$!
  local ok=1
  for pid in "${pids[@]}"; do wait "$pid" || ok=0; done
  t1=$(now)
  kill "$sender" 2>/dev/null; wait "$sender" 2>/dev/null || true
  for j in $(seq 2 $((n + 1))); do
    [ "$ok" = 1 ] && [ "$(store_hash "$rx-$j" "$version")" = "$expected" ] || ok=0
  done
  release_receive_fs
  [ "$ok" = 1 ] && echo "$t1 - $t0" | awk '{ printf "%.2f\n", $1 - $3 }' || echo fail
}

run_uftp() {
  local n=$1 daemons=() hosts="" j t0 t1 ok=1
  make_receive_fs "$n"
  for j in $(seq 2 $((n + 1))); do
    rm -rf "$work/rx/u$j"; mkdir -p "$work/rx/u$j"
    ip netns exec "fy-s1-a$j" "${tool_prefix[@]}" uftpd -d -I eth0 -D "$work/rx/u$j" -x 0 > "$work/u$j.out" 2>&1 & daemons+=($!)
    hosts+="${hosts:+,}$(address "$j")"
  done
  sleep 1.5
  t0=$(now)
  inns fy-s1-a1 "${tool_prefix[@]}" uftp -I eth0 -R $((rate * 1000)) -H "$hosts" -x 0 "$work/source/image.bin" > "$work/uftp.out" 2>&1 || ok=0
  t1=$(now)
  for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done
  for j in $(seq 2 $((n + 1))); do
    [ "$ok" = 1 ] && [ "$(sha256sum < "$work/rx/u$j/image.bin" | cut -d' ' -f1)" = "$expected" ] || ok=0
  done 2>/dev/null
  release_receive_fs
  [ "$ok" = 1 ] && echo "$t1 - $t0" | awk '{ printf "%.2f\n", $1 - $3 }' || echo fail
}

# udpcast's default rendezvous (224.0.0.1) never connects in these namespaces; a
# site-local group does. A receiver whose hello is lost never connects (udpcast does not
# retry it), so the sender starts after 20 s without it and the run counts as failed.
run_udpcast() {
  local n=$1 pids=() j t0 t1 ok=1 sender
  make_receive_fs "$n"
  rm -f "$work"/rx/c*.bin
  for j in $(seq 2 $((n + 1))); do
    ip netns exec "fy-s1-a$j" "${tool_prefix[@]}" timeout 120 udp-receiver --interface eth0 --mcast-rdv-address 239.255.77.9 --file "$work/rx/c$j.bin" --nokbd > "$work/c$j.out" 2>&1 & pids+=($!)
  done
  sleep 1.5
  t0=$(now)
  ip netns exec fy-s1-a1 "${tool_prefix[@]}" udp-sender --interface eth0 --mcast-rdv-address 239.255.77.9 --file "$work/source/image.bin" --min-receivers "$n" --max-bitrate "${rate}m" \
    --max-wait 20 --nokbd > "$work/udpcast.out" 2>&1 & sender=$!
  for pid in "${pids[@]}"; do wait "$pid" || ok=0; done
  t1=$(now)
  wait "$sender" || ok=0
  for j in $(seq 2 $((n + 1))); do
    [ "$ok" = 1 ] && [ "$(sha256sum < "$work/rx/c$j.bin" | cut -d' ' -f1)" = "$expected" ] || ok=0
  done
  release_receive_fs
  [ "$ok" = 1 ] && echo "$t1 - $t0" | awk '{ printf "%.2f\n", $1 - $3 }' || echo fail
}

# On the host's filesystem (RECEIVE_FS=host), the inodes of removed stores are left to age
# before the next cell (see make_receive_fs); a fresh filesystem has none.
forget_stores() {
  [ "$receive_fs" = host ] || return 0
  rm -rf "$work/rx"; sleep 61
}

set_lan_loss() {
  inns fy-lan1 nft delete table bridge benchloss 2>/dev/null || true
  if [ "$1" != 0 ]; then
    inns fy-lan1 nft add table bridge benchloss
    inns fy-lan1 nft add chain bridge benchloss forward "{ type filter hook forward priority 0; }"
    inns fy-lan1 nft add rule bridge benchloss forward numgen random mod 1000 "<" "$1" drop
  fi
}

if [[ " $parts " == *" lan "* ]]; then
  "$root/deploy/testbed/down.sh" >/dev/null 2>&1 || true
  "$root/deploy/testbed/up.sh" 1 9 > "$work/up-lan.out"
  "$bin/ferry" cluster down --data "$TESTBED_DATA" > /dev/null   # only the tools run now
  version=$("$bench" import --store "$work/sender" --source "$work/source")
  echo
  echo "LAN: one sender, $size_mb MB, target rate $rate Mbit/s, median of $runs runs (seconds until every receiver has it), scheduling: ${SCHEDULING:-shipped}"
  printf "%-10s %-6s" receivers loss; printf " %9s" $tools; echo
  for n in $receiver_counts; do
    for loss in $losses; do
      set_lan_loss "$loss"
      declare -A times=()
      for tool in $tools; do times[$tool]=""; done
      for run in $(seq 1 "$runs"); do
        for tool in $tools; do times[$tool]+="$(run_$tool "$n")"$'\n'; done
      done
      printf "%-10s %-6s" "$n" "$(awk -v p="$loss" 'BEGIN { printf "%g%%", p / 10 }')"
      for tool in $tools; do
        fails=$(grep -c fail <<< "${times[$tool]}" || true)
        printf " %9s" "$(grep -v -e fail -e '^$' <<< "${times[$tool]}" | median)$([ "$fails" -gt 0 ] && echo "($fails✘)")"
      done
      echo
      unset times
      forget_stores
    done
  done
  set_lan_loss 0
  "$root/deploy/testbed/down.sh" > /dev/null
fi

# Part 2: one deployment on the real site; prints "<MB into the subnet> <seconds>".
deploy_once() {
  local mode=$1 peers=$2 agents=${3:-4} source=${4:-$work/source} t0 t1
  "$root/deploy/testbed/down.sh" >/dev/null 2>&1 || true
  WAN_RATE=$wan_rate PEER_CACHING=$peers "$root/deploy/testbed/up.sh" 1 "$agents" > "$work/up-$mode-$peers.out"
  local ferry=("$bin/ferry")
  "${ferry[@]}" content create --name image --source "$source" > /dev/null
  "${ferry[@]}" boundary-group create everyone --subnet 10.77.0.0/16 > /dev/null
  "${ferry[@]}" boundary-group add-dp everyone dp1 > /dev/null
  "${ferry[@]}" distribute image --dp dp1 > /dev/null
  "${ferry[@]}" status image --wait --timeout 300 > /dev/null
  local before after
  before=$("$root/deploy/testbed/wan-bytes.sh" | awk '$2 == 1 { print $4 }')
  t0=$(now)
  "${ferry[@]}" deploy image --collection "All Systems" --cache-only --multicast "$mode" --multicast-delay 0 > /dev/null
  local deadline=$(( $(date +%s) + 900 ))
  until "${ferry[@]}" deployment status image --json | python3 -c '
import json, sys
agents = [a for a in json.load(sys.stdin)["agents"] if a["agent"].startswith("s1a")]
sys.exit(0 if len(agents) == int(sys.argv[1]) and all(a["state"] == "cached" for a in agents) else 1)' "$agents"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timeout after 900 s"; return; }
    sleep 0.5
  done
  t1=$(now)
  after=$("$root/deploy/testbed/wan-bytes.sh" | awk '$2 == 1 { print $4 }')
  awk -v b="$before" -v a="$after" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f %.1f\n", (a - b) / 1e6, t1 - t0 }'
}

if [[ " $parts " == *" wan "* ]]; then
  echo
  echo "WAN: one subnet of 4 agents behind a $wan_rate link, $size_mb MB deployed --cache-only to all four"
  printf "%-34s %14s %12s %16s\n" "" "MB into subnet" "× content" "deploy → cached"
  for setup in "on on multicast on" "off on multicast off, peer caching on" "off off multicast off, peer caching off"; do
    read -r mode peers label <<< "$setup"
    read -r megabytes seconds <<< "$(deploy_once "$mode" "$peers")"
    printf "%-34s %14s %12s %14s s\n" "$label" "$megabytes" "$(awk -v m="$megabytes" -v s="$size_mb" 'BEGIN { printf "%.2f", m / s }')" "$seconds"
  done
  "$root/deploy/testbed/down.sh" > /dev/null
fi

# Peak resident memory (VmHWM, MB) of one test-bed service.
peak_mb() {
  local pid
  pid=$(cat "$TESTBED_DATA/$1/pid" 2>/dev/null) || { echo n/a; return; }
  awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo n/a
}

if [[ " $parts " == *" memory "* ]]; then
  mkdir -p "$work/big"
  for i in $(seq 1 $(( (big_mb + 1023) / 1024 ))); do
    head -c $(( (big_mb < i * 1024 ? big_mb - (i - 1) * 1024 : 1024) * 1024 * 1024 )) /dev/urandom > "$work/big/part$i.bin"
  done
  echo
  echo "Memory (S8): 3 agents, multicast on, behind a ${MEMORY_WAN_RATE:-1gbit} link; peak resident MB after the deployment"
  printf "%-10s %16s %14s %8s %8s %8s %8s\n" content "deploy → cached" "MB into subnet" s1a1 s1a2 dp1 "site (DM)"
  for source in "$work/source" "$work/big"; do
    read -r megabytes seconds <<< "$(wan_rate=${MEMORY_WAN_RATE:-1gbit} deploy_once on on 3 "$source")"
    representative=$("$bin/ferry" deployment status image --json | python3 -c '
import json, sys
print(next((a["agent"] for a in json.load(sys.stdin)["agents"] if a.get("representative")), "?"))')
    printf "%-10s %14s s %14s %8s %8s %8s %8s   (representative: %s)\n" "$(du -sm "$source" | cut -f1) MB" "$seconds" "$megabytes" \
      "$(peak_mb s1a1)" "$(peak_mb s1a2)" "$(peak_mb dp1)" "$(peak_mb site)" "$representative"
  done
  "$root/deploy/testbed/down.sh" > /dev/null
  rm -rf "$work/big"
fi
