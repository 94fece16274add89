#!/usr/bin/env bash
# One step writing 1 GiB to stdout: throughput against `cmd | cat`, and
# peak RSS (GNU time). Usage: bench/output.sh (after a release build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
out=${BENCH_OUT:-$root/target/bench}
litops=$root/target/release/litops
mkdir -p "$out"
printf '# Big output\n\n## Write 1 GiB\n\n```bash\nhead -c 1073741824 /dev/zero\n```\n' > "$out/big.md"
# Transcripts of the benchmark runs stay in the output directory.
export LITOPS_RUNS_DIR=$out/runs

contenders=(
  -n 'head -c 1G | cat (baseline)' "bash -c 'head -c 1073741824 /dev/zero | cat'"
  -n 'litops run, 1 GiB step' "$litops run $out/big.md --unattended --no-env"
)
hyperfine -N --warmup 1 --runs 5 --export-json "$out/output.json" "${contenders[@]}"
record_rss "$out/rss.tsv" "${contenders[@]}"
