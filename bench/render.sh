#!/usr/bin/env bash
# Renders 1,000 generated runbooks as a site, side by side with `mdbook build`
# over the same 1,000 pages (mdBook from crates.io, with its search index, as
# litops builds one). Usage: bench/render.sh (after a release build); needs
# hyperfine and mdbook (cargo install mdbook --no-default-features --features search).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
out=${BENCH_OUT:-$root/target/bench}
litops=$root/target/release/litops
src=$out/render-src
book=$out/mdbook
rm -rf "$src" "$book" "$out/render-site" "$out/mdbook-site"
mkdir -p "$src" "$book/src"

# One runbook: front matter, prose, a table, three steps, a check, links.
page() {
  local i=$1
  cat <<MD
---
title: "Service $i maintenance"
summary: "Restart, verify and roll back service $i."
area: "area-$((i % 10))"
tags: ["svc-$((i % 7))", "maintenance"]
owner: "team-$((i % 5))"
last_reviewed: 2026-10-01
---

# Service $i maintenance

Service $i runs in the \`svc-$i\` namespace. See [the next service](svc-$(( (i + 1) % 1000 )).md).

| Setting | Value |
|---|---|
| Replicas | $((i % 5 + 2)) |
| Namespace | svc-$i |

## Restart

Restart the deployment and wait for the rollout.

\`\`\`bash
kubectl rollout restart deployment/svc-$i -n svc-$i
kubectl rollout status deployment/svc-$i -n svc-$i --timeout=5m
\`\`\`

\`\`\`rhai
exit_code == 0 && stdout.contains("successfully rolled out")
\`\`\`

## Verify

\`\`\`bash
kubectl get pods -n svc-$i -l app=svc-$i -o wide
curl -fsS "https://svc-$i.example.com/healthz"
\`\`\`

## Roll back

Only if the verification failed.

\`\`\`bash {confirm="rolls service $i back"}
kubectl rollout undo deployment/svc-$i -n svc-$i
\`\`\`
MD
}

{
  echo "# Summary"
  echo
  for i in $(seq 0 999); do
    page "$i" > "$src/svc-$i.md"
    echo "- [Service $i maintenance](svc-$i.md)"
  done
} > "$book/src/SUMMARY.md"
cp "$src"/*.md "$book/src/"
cat > "$book/book.toml" <<TOML
[book]
title = "1,000 runbooks"
[output.html]
[output.html.search]
enable = true
TOML

# mdBook first: it is the baseline the ratios are taken against.
contenders=()
if command -v mdbook > /dev/null; then
  contenders+=(-n 'mdbook build, 1,000 pages (baseline)' "mdbook build $book -d $out/mdbook-site")
else
  echo "mdbook not found (cargo install mdbook): left out" >&2
fi
contenders+=(-n 'litops render, 1,000 runbooks' "$litops render $src -o $out/render-site")
hyperfine -N --warmup 1 --runs 10 --export-json "$out/render.json" "${contenders[@]}"
record_rss "$out/rss.tsv" "${contenders[@]}"
