# Shared by the benchmark scripts (sourced).

# Peak RSS of each contender, one run each, appended to FILE as
# "NAME<TAB>KiB" for bench/table.py. Takes the same `-n NAME CMD` pairs as
# hyperfine. GNU time's %M is the largest resident set among the command's
# processes.
record_rss() {
  local file=$1
  shift
  while [ $# -ge 3 ]; do
    local name=$2 cmd=$3 kib
    shift 3
    kib=$(/usr/bin/time -f '%M' sh -c "$cmd" 2>&1 > /dev/null | tail -n 1)
    printf '%s\t%s\n' "$name" "$kib" >> "$file"
  done
}
