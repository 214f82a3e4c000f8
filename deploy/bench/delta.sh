#!/usr/bin/env bash
# Binary differential replication (issue 18, SPEC C3), one run, side by side: bytes into a
# DP to bring version 1 of a 414 MB package (100 files, pseudo-random) to version 2, for
# the five update cases of ../shared/PLATFORM.md's delta table:
#   A  one 1 MiB file replaced and a 5 MiB file added
#   B  200 scattered 10 KiB overwrites in a 200 MiB image
#   C  1 MiB inserted at 10 MiB into that image
#   D  20 files moved to a new folder unchanged
#   E  30 % of the 64 KiB blocks of a 50 MiB file shuffled
# Ferry: IP bytes into the DP's bus and HTTP ports (nftables counters on loopback), manifests,
# queries and HTTP included, with the content's differential replication on, and off.
# rsync: IP bytes into an rsync daemon (--no-whole-file) holding version 1. casync: the
# new chunks and the index of version 2 (64 KiB average chunks) against version 1's store.
#
#   deploy/bench/delta.sh          (root: nftables counters; installs rsync and casync if missing)
#
# Release build recommended: FERRY_BIN_DIR=$(swift build -c release --show-bin-path).
set -euo pipefail
bin=${FERRY_BIN_DIR:-$(swift build -c release --show-bin-path)}
[ "$(id -u)" = 0 ] || { echo "delta.sh: needs root (nftables counters)" >&2; exit 1; }
for tool in rsync casync nft python3; do
  command -v $tool >/dev/null || apt-get install -y -qq $tool >/dev/null || { echo "delta.sh: cannot install $tool" >&2; exit 1; }
done
work=$(mktemp -d /tmp/ferry-delta.XXXXXX)
data=$work/cluster
export FERRY_HOME=$work/home
cleanup() {
  [ -f "$work/rsyncd.pid" ] && kill "$(cat "$work/rsyncd.pid")" 2>/dev/null || true
  "$bin/ferry" cluster down --data "$data" >/dev/null 2>&1 || true
  nft delete table inet ferrydelta 2>/dev/null || true
  [ -n "${KEEP:-}" ] && { echo "kept $work"; return; }
  rm -rf "$work"
}
trap cleanup EXIT
ferry() { "$bin/ferry" "$@" --data "$data"; }

# ---- Version 1 and the five version 2 folders (new files written whole, never in place,
# so the hard-linked copies stay version 1).
python3 - "$work" <<'PY'
import os, random, sys
work = sys.argv[1]
v1 = os.path.join(work, "v1")
os.makedirs(os.path.join(v1, "files"))
rng = random.Random(18)
def noise(n): return rng.randbytes(n)
with open(os.path.join(v1, "image.bin"), "wb") as f:
    for _ in range(200): f.write(noise(1 << 20))
with open(os.path.join(v1, "blocks.bin"), "wb") as f: f.write(noise(50 << 20))
with open(os.path.join(v1, "files", "f000.bin"), "wb") as f: f.write(noise(1 << 20))
for i in range(1, 98):
    with open(os.path.join(v1, "files", "f%03d.bin" % i), "wb") as f: f.write(noise(1_560_000))
PY
for case in A B C D E; do cp -al "$work/v1" "$work/$case"; done
python3 - "$work" <<'PY'
import os, random, sys
work = sys.argv[1]
rng = random.Random(180)
def write(path, data):
    tmp = path + ".new"
    with open(tmp, "wb") as f: f.write(data)
    os.replace(tmp, path)   # a new inode: version 1's hard links keep the old bytes
A = os.path.join(work, "A")
write(os.path.join(A, "files", "f000.bin"), rng.randbytes(1 << 20))
write(os.path.join(A, "added.bin"), rng.randbytes(5 << 20))
B = os.path.join(work, "B", "image.bin")
image = bytearray(open(B, "rb").read())
for offset in sorted(rng.sample(range(0, len(image) - 10240, 10240), 200)):
    image[offset:offset + 10240] = rng.randbytes(10240)
write(B, bytes(image))
C = os.path.join(work, "C", "image.bin")
image = open(C, "rb").read()
write(C, image[:10 << 20] + rng.randbytes(1 << 20) + image[10 << 20:])
D = os.path.join(work, "D")
os.makedirs(os.path.join(D, "moved"))
for i in range(1, 21):
    os.rename(os.path.join(D, "files", "f%03d.bin" % i), os.path.join(D, "moved", "f%03d.bin" % i))
E = os.path.join(work, "E", "blocks.bin")
data = open(E, "rb").read()
blocks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
chosen = rng.sample(range(len(blocks)), len(blocks) * 3 // 10)
moved = chosen[:]
rng.shuffle(moved)
out = blocks[:]
for source, target in zip(chosen, moved): out[target] = blocks[source]
write(E, b"".join(out))
PY
mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1000000 }'; }

# ---- Counters: IP bytes into a TCP port on loopback.
nft add table inet ferrydelta
nft add chain inet ferrydelta input '{ type filter hook input priority -10; policy accept; }'
count_port() { nft add rule inet ferrydelta input tcp dport "$1" counter comment "\"port$1\""; }
port_bytes() {
  local total=0
  for port in "$@"; do
    total=$(( total + $(nft list chain inet ferrydelta input | grep "\"port$port\"" | sed -E 's/.*bytes ([0-9]+).*/\1/') ))
  done
  echo $total
}

# ---- Ferry: a local cluster, one content per case and mode, version 1 on dp1, then the update.
FERRY_BIN_DIR=$bin "$bin/ferry" cluster up --data "$data" --source-root "$work" >/dev/null
# Each mode has its own DP (off: dp1, on: dp2), so one mode's chunks are never already there for the other.
port_of() { ferry cluster status --json | python3 -c "import json,sys; s=[x for x in json.load(sys.stdin) if x['node']=='$1'][0]; print(s['$2'].rsplit(':',1)[1])"; }
declare -A http_port bus_port
for point in dp1 dp2; do
  http_port[$point]=$(port_of $point httpURL); bus_port[$point]=$(port_of $point busEndpoint)
  count_port "${http_port[$point]}"; count_port "${bus_port[$point]}"
done
declare -A ferry_on ferry_off
for mode in off on; do
  point=dp1; [ $mode = on ] && point=dp2
  for case in A B C D E; do
    name="case-$case-$mode"
    src="$work/src-$case-$mode"
    cp -al "$work/v1" "$src"
    ferry content create --name "$name" --source "$src" >/dev/null
    [ $mode = on ] && ferry content set "$name" --differential on >/dev/null
    ferry distribute "$name" --dp $point >/dev/null
    ferry status "$name" --wait --timeout 900 >/dev/null
    rm -rf "$src"; cp -al "$work/$case" "$src"
    before=$(port_bytes "${http_port[$point]}" "${bus_port[$point]}")
    ferry content update "$name" >/dev/null
    ferry status "$name" --wait --timeout 900 >/dev/null
    after=$(port_bytes "${http_port[$point]}" "${bus_port[$point]}")
    if [ $mode = on ]; then ferry_on[$case]=$(( after - before )); else ferry_off[$case]=$(( after - before )); fi
  done
done

# ---- rsync: a daemon holding version 1 per case; version 2 pushed with --no-whole-file.
rsync_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/rsyncd.conf" <<CONF
pid file = $work/rsyncd.pid
use chroot = no
[dest]
path = $work/rsync-dest
read only = no
uid = root
gid = root
CONF
mkdir -p "$work/rsync-dest"
rsync --daemon --config="$work/rsyncd.conf" --address=127.0.0.1 --port="$rsync_port"
for _ in $(seq 1 50); do [ -f "$work/rsyncd.pid" ] && break; sleep 0.1; done
count_port "$rsync_port"
declare -A rsync_bytes
for case in A B C D E; do
  rm -rf "$work/rsync-dest/$case"; cp -a "$work/v1" "$work/rsync-dest/$case"
  before=$(port_bytes "$rsync_port")
  rsync -a --delete --no-whole-file "$work/$case/" "rsync://127.0.0.1:$rsync_port/dest/$case/"
  after=$(port_bytes "$rsync_port")
  rsync_bytes[$case]=$(( after - before ))
  rm -rf "$work/rsync-dest/$case"
done

# ---- casync: version 1's store, then what version 2 adds to it plus its index.
declare -A casync_bytes
casync make --chunk-size=65536 --store="$work/casync-store" "$work/v1.caidx" "$work/v1" >/dev/null
base_store=$(du -sb "$work/casync-store" | cut -f1)
for case in A B C D E; do
  rm -rf "$work/casync-$case"; cp -a "$work/casync-store" "$work/casync-$case"
  casync make --chunk-size=65536 --store="$work/casync-$case" "$work/$case.caidx" "$work/$case" >/dev/null
  casync_bytes[$case]=$(( $(du -sb "$work/casync-$case" | cut -f1) - base_store + $(stat -c %s "$work/$case.caidx") ))
  rm -rf "$work/casync-$case"
done

echo "Ferry delta benchmark ($(date -u +%FT%TZ), $(nproc) cores, binaries $bin)"
echo "MB into the DP (or the rsync daemon) to bring version 1 to version 2:"
printf '| %-40s | %6s | %6s | %6s | %6s | %6s |\n' method A B C D E
printf '|%s|\n' "------------------------------------------|--------|--------|--------|--------|--------"
printf '| %-40s |' "Ferry, differential on"; for c in A B C D E; do printf ' %6s |' "$(mb ${ferry_on[$c]})"; done; echo
printf '| %-40s |' "Ferry, differential off (whole chunks)"; for c in A B C D E; do printf ' %6s |' "$(mb ${ferry_off[$c]})"; done; echo
printf '| %-40s |' "rsync daemon, --no-whole-file"; for c in A B C D E; do printf ' %6s |' "$(mb ${rsync_bytes[$c]})"; done; echo
printf '| %-40s |' "casync 64 KiB, new chunks + index"; for c in A B C D E; do printf ' %6s |' "$(mb ${casync_bytes[$c]})"; done; echo
printf '| %-40s |' "goal: at most min(rsync, casync)"; for c in A B C D E; do
  r=${rsync_bytes[$c]}; k=${casync_bytes[$c]}; printf ' %6s |' "$(mb $(( r < k ? r : k )))"; done; echo
