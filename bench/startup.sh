#!/usr/bin/env bash
# Start-up: `litops plan` on the seed runbook, side by side with `mask
# --introspect` on a maskfile of the same commands (mask reads a Markdown
# file of commands too) and the start of `true` (the floor).
# Usage: bench/startup.sh (after a release build); needs hyperfine and mask
# (cargo install mask).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
out=${BENCH_OUT:-$root/target/bench}
litops=$root/target/release/litops
seed=$root/runbooks/kubernetes-operations.md
mkdir -p "$out"

# The seed's sections and bash blocks as a maskfile: one command per block.
python3 - "$seed" > "$out/maskfile.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
print("# Kubernetes operations\n")
n = 0
for m in re.finditer(r"^(#{2,4}) (.+)\n(?:(?!^#).*\n)*?```bash[^\n]*\n(.*?)```", text, flags=re.M | re.S):
    n += 1
    name = re.sub(r"[^a-z0-9]+", "-", m.group(2).lower()).strip("-") or "step"
    print(f"## {name}-{n}\n\n> {m.group(2)}\n\n```bash\n{m.group(3)}```\n")
PY

contenders=(
  -n 'true (process start)' 'true'
  -n 'litops plan, seed runbook' "$litops plan $seed --no-env"
)
if command -v mask > /dev/null; then
  contenders+=(-n 'mask --introspect, same commands' "mask --maskfile $out/maskfile.md --introspect")
else
  echo "mask not found (cargo install mask): left out" >&2
fi
hyperfine -N --warmup 5 --runs 50 --export-json "$out/startup.json" "${contenders[@]}"
record_rss "$out/rss.tsv" "${contenders[@]}"
