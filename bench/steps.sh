#!/usr/bin/env bash
# 100 trivial steps run unattended, side by side with a bash loop forking
# `bash -c` once per step, with `just` running 100 recipes, and with the
# floor (bench/floor.rs).
# Usage: bench/steps.sh (after `cargo build --release`); needs hyperfine, just.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
out=${BENCH_OUT:-$root/target/bench}
litops=$root/target/release/litops
mkdir -p "$out"

{
  echo "# 100 trivial steps"
  for i in $(seq 1 100); do printf '\n## Step %d\n\n```bash\ntrue\n```\n' "$i"; done
} > "$out/steps100.md"
{
  printf 'all:'
  for i in $(seq 1 100); do printf ' r%d' "$i"; done
  printf '\n'
  for i in $(seq 1 100); do printf '\nr%d:\n    @true\n' "$i"; done
} > "$out/justfile"

# The floor under litops: fork a subshell of a running bash per step (as the
# step shell does) and, with the transcript, write and fdatasync one record
# per step (bench/floor.rs).
floor=$(cd "$root" && cargo bench --locked --bench floor --no-run --message-format=json 2> /dev/null \
  | sed -n 's/.*"executable":"\([^"]*floor[^"]*\)".*/\1/p' | tail -1)
mkdir -p "$out/runs"
contenders=(
  -n 'bash -c per step (baseline)' "bash -c 'for i in \$(seq 100); do bash -c true; done'"
  -n 'floor: fork per step' "$floor 100 $out/runs/floor.jsonl --no-sync"
  -n 'floor: fork + fdatasync per step' "$floor 100 $out/runs/floor.jsonl"
  -n 'litops run, 100 steps' "$litops run $out/steps100.md --unattended --no-env "
  -n 'litops run, 100 steps, no transcript' "$litops run $out/steps100.md --unattended --no-env --no-transcript"
)
if command -v just > /dev/null; then
  contenders+=(-n 'just, 100 recipes' "just --justfile $out/justfile --working-directory $out all")
else
  echo "just not found (cargo install just): left out" >&2
fi
# Transcripts of the benchmark runs stay in the output directory.
export LITOPS_RUNS_DIR=$out/runs
hyperfine -N --warmup 3 --runs 20 --export-json "$out/steps.json" "${contenders[@]}"
record_rss "$out/rss.tsv" "${contenders[@]}"
