#!/usr/bin/env bash
# Minimizes corpus/TARGET together with the inputs a fuzzing run found
# (DIR...): libFuzzer's set-cover merge on edges only (no hit counts), so
# the corpus keeps every edge with as few files as it can; regression-*
# files (crashes that were fixed) are always kept.
#   ./minimize.sh options /tmp/options-run
set -euo pipefail
cd "$(dirname "$0")"
target=$1
shift
cargo +nightly fuzz build -s none "$target"
bin=$(find "${CARGO_TARGET_DIR:-target}" -path "*/release/$target" -type f | head -n 1)
out=$(mktemp -d)
cp corpus/"$target"/regression-* "$out"/ 2>/dev/null || true
"$bin" -set_cover_merge=1 -use_counters=0 -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  "$out" corpus/"$target" "$@"
rm -rf corpus/"$target"
mv "$out" corpus/"$target"
ls corpus/"$target" | wc -l
