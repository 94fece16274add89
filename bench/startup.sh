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
# Line by line: a regular expression over the whole file backtracked for
# minutes on a heading followed by a long section without a bash block.
lines = open(sys.argv[1]).read().split("\n")
if lines and lines[0] == "---":
    end = lines.index("---", 1) if "---" in lines[1:] else 0
    lines = lines[end + 1:]
print("# Kubernetes operations\n")
heading, block, n = None, None, 0
for line in lines:
    if block is not None:
        if line.startswith("```"):
            n += 1
            name = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "step"
            print(f"## {name}-{n}\n\n> {heading}\n\n```bash\n" + "".join(l + "\n" for l in block) + "```\n")
            block, heading = None, None
        else:
            block.append(line)
    elif m := re.match(r"^#{2,4} (.+)$", line):
        heading = m.group(1)
    elif heading is not None and line.startswith("```bash"):
        block = []
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
