#!/usr/bin/env bash
# Builds Ferry's network-namespace test bed and starts a site in it.
#
#   deploy/testbed/up.sh [N_SUBNETS] [AGENTS_PER_SUBNET]
#
# Hosts (namespaces): fy-site (DM, PTM, MP, dp1 at 10.77.0.2), fy-router, and per subnet i
# a LAN (fy-lan<i>, one bridge) with agent hosts fy-s<i>-a<j> at 10.77.i.(10+j)/24.
# The router's link into each subnet is the WAN link: tbf at WAN_RATE (default 20mbit)
# both ways, optional loss WAN_LOSS_PERMILLE. LAN_LOSS_PERMILLE drops packets on a
# subnet's bridge (nftables, no netem on this kernel). This host reaches the site over
# fy-host (10.77.255.1) for the CLI. Multicast stays inside each subnet (TTL 1); the
# router has no multicast configuration.
#
# Environment: FERRY_BIN_DIR (built executables), TESTBED_DATA (cluster folder, default
# /tmp/ferry-testbed), WAN_RATE, WAN_LOSS_PERMILLE, LAN_LOSS_PERMILLE, PEER_CACHING (on|off,
# default on), MULTICAST_RATE (the agents' rate in Mbit/s, default 300).
# deploy/testbed/down.sh removes everything this made.
set -euo pipefail
subnets=${1:-2}
agents=${2:-4}
data=${TESTBED_DATA:-/tmp/ferry-testbed}
rate=${WAN_RATE:-20mbit}
wan_loss=${WAN_LOSS_PERMILLE:-0}
lan_loss=${LAN_LOSS_PERMILLE:-0}
here="$(cd "$(dirname "$0")" && pwd)"
bin=${FERRY_BIN_DIR:-"$here/../../.build/debug"}

[ "$(id -u)" = 0 ] || { echo "up.sh: the test bed needs root (network namespaces)" >&2; exit 1; }
if ip netns list | grep -q '^fy-'; then
  echo "up.sh: a test bed exists already (ip netns list | grep fy-); run deploy/testbed/down.sh first" >&2
  exit 1
fi
[[ "$subnets" =~ ^[0-9]+$ && "$subnets" -ge 1 && "$subnets" -le 50 ]] || { echo "up.sh: 1-50 subnets" >&2; exit 1; }
[[ "$agents" =~ ^[0-9]+$ && "$agents" -ge 1 && "$agents" -le 200 ]] || { echo "up.sh: 1-200 agents per subnet" >&2; exit 1; }

# A failure half-way leaves nothing behind.
trap 'status=$?; if [ $status -ne 0 ]; then "$here/down.sh" >/dev/null 2>&1 || true; fi' EXIT

inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
addns() { ip netns add "$1"; inns "$1" ip link set lo up; }

addns fy-router
inns fy-router sysctl -qw net.ipv4.ip_forward=1
inns fy-router nft add table inet ferrywan
inns fy-router nft add chain inet ferrywan forward "{ type filter hook forward priority 0; }"
addns fy-site
ip link add eth0 netns fy-site type veth peer name site netns fy-router
inns fy-site ip addr add 10.77.0.2/24 dev eth0
inns fy-site ip link set eth0 up
inns fy-site ip route add default via 10.77.0.1
inns fy-router ip addr add 10.77.0.1/24 dev site
inns fy-router ip link set site up

# This host's way in (the CLI and health checks), a /30 into the router.
ip link add fy-host type veth peer name host netns fy-router
ip addr add 10.77.255.1/30 dev fy-host
ip link set fy-host up
inns fy-router ip addr add 10.77.255.2/30 dev host
inns fy-router ip link set host up
ip route add 10.77.0.0/16 via 10.77.255.2 dev fy-host

for i in $(seq 1 "$subnets"); do
  lan=fy-lan$i
  addns "$lan"
  inns "$lan" ip link add br0 type bridge
  inns "$lan" ip link set br0 up
  # The WAN link: router side wan<i>, LAN side uplink on the bridge; tbf both ways.
  ip link add "wan$i" netns fy-router type veth peer name uplink netns "$lan"
  inns "$lan" ip link set uplink master br0 up
  inns fy-router ip addr add "10.77.$i.1/24" dev "wan$i"
  inns fy-router ip link set "wan$i" up
  inns fy-router tc qdisc add dev "wan$i" root tbf rate "$rate" burst 32kbit latency 400ms
  inns "$lan" tc qdisc add dev uplink root tbf rate "$rate" burst 32kbit latency 400ms
  # The subnet's multicast stays off the WAN link. A Linux bridge without a querier floods
  # group traffic to every port, the uplink too, where it filled the WAN's upstream queue
  # and held up the representative's TCP ACKs to the DP (a 200 MB multicast deployment
  # over 100 Mbit/s took 28 s instead of about 20). A real branch router takes such
  # frames on its LAN port, not on its WAN line, and drops them (TTL 1, no multicast
  # routing). The counter shows what was kept off: nft list table bridge ferryuplink.
  inns "$lan" nft add table bridge ferryuplink
  inns "$lan" nft add chain bridge ferryuplink forward "{ type filter hook forward priority 0; }"
  inns "$lan" nft add rule bridge ferryuplink forward oifname uplink ip daddr 224.0.0.0/4 counter drop
  # WAN bytes are IP bytes the router forwards into / out of the subnet (link framing
  # differs per WAN technology, so it is not counted).
  inns fy-router nft add rule inet ferrywan forward oifname "wan$i" counter comment "\"into subnet $i\""
  inns fy-router nft add rule inet ferrywan forward iifname "wan$i" counter comment "\"out of subnet $i\""
  if [ "$wan_loss" != 0 ]; then
    inns fy-router nft add rule inet ferrywan forward oifname "wan$i" numgen random mod 1000 "<" "$wan_loss" drop
  fi
  if [ "$lan_loss" != 0 ]; then
    inns "$lan" nft add table bridge ferrylan
    inns "$lan" nft add chain bridge ferrylan forward "{ type filter hook forward priority 0; }"
    inns "$lan" nft add rule bridge ferrylan forward numgen random mod 1000 "<" "$lan_loss" drop
  fi
  for j in $(seq 1 "$agents"); do
    ns=fy-s$i-a$j
    addns "$ns"
    ip link add eth0 netns "$ns" type veth peer name "a$j" netns "$lan"
    inns "$lan" ip link set "a$j" master br0 up
    inns "$ns" ip addr add "10.77.$i.$((10 + j))/24" dev eth0
    inns "$ns" ip link set eth0 up
    inns "$ns" ip route add default via "10.77.$i.1"
    inns "$ns" ip route add 224.0.0.0/4 dev eth0
  done
done

# A test bed starts from an empty site; the previous one's folder (if it was one) goes.
if [ -f "$data/cluster.yaml" ]; then rm -rf "$data"; fi
mkdir -p "$data"
FERRY_BIN_DIR="$bin" "$bin/ferry" cluster up --data "$data" --testbed "$subnets:$agents" --timeout 120 \
  --peer-caching "${PEER_CACHING:-on}" --multicast-rate "${MULTICAST_RATE:-300}"
echo
echo "test bed: $subnets subnet(s) of $agents agent(s); WAN $rate, WAN loss ${wan_loss}‰, LAN loss ${lan_loss}‰"
echo "  cluster folder: $data (each host's config, data, log under $data/<node>/)"
echo "  CLI:            $bin/ferry <command> --data $data"
echo "  WAN bytes:      $here/wan-bytes.sh"
echo "  remove:         $here/down.sh"
"$here/wan-bytes.sh"
