#!/usr/bin/env bash
# Removes everything deploy/testbed/up.sh made: the site's processes, every fy-*
# namespace (and with them their links, bridges, qdiscs and nftables rules), the host's
# fy-host link and route. Safe to run twice or after a failed up.sh.
set -uo pipefail
data=${TESTBED_DATA:-/tmp/ferry-testbed}
here="$(cd "$(dirname "$0")" && pwd)"
bin=${FERRY_BIN_DIR:-"$here/../../.build/debug"}
if [ -f "$data/cluster.yaml" ] && [ -x "$bin/ferry" ]; then
  "$bin/ferry" cluster down --data "$data" --grace 5 >/dev/null 2>&1 || true
fi
for ns in $(ip netns list | awk '{print $1}' | grep '^fy-'); do
  # Anything still running in it (a killed test's services) goes first, by PID.
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
done
ip route del 10.77.0.0/16 2>/dev/null || true
ip link del fy-host 2>/dev/null || true
exit 0
