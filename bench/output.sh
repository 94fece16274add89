#!/usr/bin/env bash
# One step writing 1 GiB to stdout: throughput against `cmd | cat`, and
# litops's peak RSS (GNU time). Usage: bench/output.sh (after a release build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_OUT:-$root/target/bench}
litops=$root/target/release/litops
mkdir -p "$out"
printf '# Big output\n\n## Write 1 GiB\n\n```bash\nhead -c 1073741824 /dev/zero\n```\n' > "$out/big.md"

hyperfine -N --warmup 1 --runs 5 --export-json "$out/output.json" \
  -n 'head -c 1G | cat (baseline)' "bash -c 'head -c 1073741824 /dev/zero | cat'" \
  -n 'litops run, 1 GiB step' "$litops run $out/big.md --unattended --no-env"

rss_kib=$(/usr/bin/time -f '%M' "$litops" run "$out/big.md" --unattended --no-env 2>&1 >/dev/null | tail -n 1)
echo "litops peak RSS while streaming 1 GiB: $((rss_kib / 1024)) MiB ($rss_kib KiB)"
