#!/usr/bin/env bash
# IP bytes the router forwarded across each subnet's WAN link since the test bed came up:
# "subnet <i> in <bytes> out <bytes>" (in: towards the subnet's hosts).
set -euo pipefail
ip netns exec fy-router nft list chain inet ferrywan forward | awk '
  /counter/ && /into subnet/ { for (f = 1; f <= NF; f++) if ($f == "bytes") into[$(NF)] = $(f + 1) }
  /counter/ && /out of subnet/ { for (f = 1; f <= NF; f++) if ($f == "bytes") outof[$(NF)] = $(f + 1) }
  END { for (s in into) printf "subnet %s in %s out %s\n", s, into[s], outof[s] }' | tr -d '"' | sort -k2n
