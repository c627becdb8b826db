#!/usr/bin/env bash
# Alternating rounds of our extraction and the system tool on 100,000 files of 1 KiB, into a
# tmpfs: bench/extract.ts runs each case's rounds back to back, and on this shared machine that
# let drift move one case's median by a third; alternating, each round's ratio is its own.
#   npm run build && npx tsx bench/extract.ts --shape small --runs 1 --only GNU   # makes the archives
#   bash bench/alternate-small-files.sh [rounds] [dest]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}; D=${2:-/dev/shm/ssa-alternate}
T=bench/.data/shape-small-100000x1KiB-seed1.tar.gz; Z=bench/.data/shape-small-100000x1KiB-seed1.zip
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
fresh() { rm -rf "$D"; mkdir -p "$D"; sync; }
for i in $(seq "$ROUNDS"); do
  fresh; a=$(ms node bench/lib/extract-cases.mjs ours-default "$T" "$D/x")
  fresh; b=$(ms tar -xzf "$T" -C "$D")
  fresh; c=$(ms node bench/lib/extract-cases.mjs ours-default "$Z" "$D/x")
  fresh; d=$(ms unzip -q "$Z" -d "$D")
  awk -v i="$i" -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN { printf "round %d: tar.gz ours %d ms, GNU tar %d ms (%.2fx); zip ours %d ms, unzip -q %d ms (%.2fx)\n", i, a, b, a / b, c, d, c / d }'
done
rm -rf "$D"
