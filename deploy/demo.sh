#!/usr/bin/env bash
# `make demo`: a local site distributes a generated ~200 MB package to two DPs with live
# progress, prints a summary and stops. Everything lives in a temporary folder.
set -euo pipefail
bin="${FERRY_BIN_DIR:-$(swift build --show-bin-path)}"
ferry="$bin/ferry"
work="$(mktemp -d /tmp/ferry-demo.XXXXXX)"
data="$work/cluster"
source="$work/source/office-suite"
export FERRY_HOME="$work/home"

cleanup() {
  "$ferry" cluster down --data "$data" >/dev/null 2>&1 || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work (logs under $data/*/)"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "== generating a ~200 MB package in $source"
mkdir -p "$source/bin" "$source/data/locales" "$source/docs" "$source/empty"
head -c 120000000 /dev/urandom > "$source/bin/setup.bin"
head -c 60000000 /dev/urandom > "$source/data/base.pak"
for locale in en de pt fr es; do head -c 4000000 /dev/urandom > "$source/data/locales/$locale.pak"; done
echo "Office suite demo package" > "$source/docs/README.txt"
: > "$source/docs/empty file.txt"

echo "== starting the local cluster in $data"
"$ferry" cluster up --data "$data"

echo
echo "== importing the package into the site content library"
time "$ferry" content create --data "$data" --name office-suite --source "$source" --priority high

echo
echo "== distributing to dp1 and dp2"
"$ferry" distribute --data "$data" office-suite --dp dp1 --dp dp2
started=$(date +%s.%N)
"$ferry" status --data "$data" office-suite --wait --timeout 600
finished=$(date +%s.%N)

echo
echo "== changing one locale and distributing the new version (only new chunks travel)"
head -c 4000000 /dev/urandom > "$source/data/locales/de.pak"
"$ferry" content update --data "$data" office-suite
"$ferry" distribute --data "$data" office-suite --dp dp1 --dp dp2
"$ferry" status --data "$data" office-suite --wait --timeout 600 | tail -4

echo
echo "== deploying to All Systems: three agents in two subnets, each fetching from its own boundary group's DP"
"$ferry" boundary-group create --data "$data" hq --subnet 127.0.1.0/24 > /dev/null
"$ferry" boundary-group create --data "$data" branch --subnet 127.0.2.0/24 > /dev/null
"$ferry" boundary-group add-dp --data "$data" hq dp1 > /dev/null
"$ferry" boundary-group add-dp --data "$data" branch dp2 > /dev/null
"$ferry" boundary-group list --data "$data"
"$ferry" deploy --data "$data" office-suite --collection "All Systems" --run 'ls -R > installed-files.txt'
"$ferry" deployment status --data "$data" office-suite --wait --timeout 600

echo
echo "== summary"
"$ferry" content show --data "$data" office-suite
echo
"$ferry" dp list --data "$data"
echo
"$ferry" agent list --data "$data"
echo
awk -v a="$started" -v b="$finished" 'BEGIN { printf "first distribution to two DPs took %.1f s\n", b - a }'
echo "bytes each DP received by push (from its /metrics):"
for dp in dp1 dp2; do
  url=$(grep -A3 "node: $dp" "$data/cluster.yaml" | sed -n "s/.*httpURL: '\{0,1\}\([^']*\)'\{0,1\}/\1/p")
  echo "  $dp: $(curl -s "$url/metrics" | awk '/^ferry_dp_received_chunk_bytes_total /{print $2}') bytes"
done
echo
echo "the PTM's log ($data/ptm/pkgxfermgr.log), last lines:"
tail -6 "$data/ptm/pkgxfermgr.log"
