#!/usr/bin/env bash
# Instructions the `plan` path executes (parse + lower + plan, 2,000
# generated sections, three times), counted by callgrind: unlike a time, a
# count is the same on a busy machine, so two commits can be compared
# exactly. Usage: bench/instructions.sh [OTHER_BENCH_BINARY]
# (OTHER_BENCH_BINARY: a target/release/deps/parse_plan-* built from another
# commit; its count is printed beside this tree's.)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
binary=$(cargo bench --locked --bench parse_plan --no-run --message-format=json 2> /dev/null \
  | sed -n 's/.*"executable":"\([^"]*parse_plan[^"]*\)".*/\1/p' | tail -1)
count() {
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$1" --plan-once 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  rm -f "$out"
}
this=$(count "$binary")
printf 'this tree: %s instructions\n' "$this"
if [ $# -ge 1 ]; then
  other=$(count "$1")
  printf 'other:     %s instructions\n' "$other"
  awk -v a="$this" -v b="$other" 'BEGIN { printf "ratio this/other: %.3f\n", a / b }'
fi
