#!/usr/bin/env bash
# Compares gotn's graph algorithms with OpenFst's command-line tools on the
# same files, end to end (load, compute, write), side by side in one run.
# Prints the median wall time of 5 runs and the peak memory of each tool,
# and the ratio gotn/OpenFst (< 1: gotn is faster).
#
#   bash bench/fst_vs_openfst.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
if ! command -v fstcompose >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfst-tools >/dev/null
fi
out=bench/out
mkdir -p "$out"
go build -o "$out/gtn" ./cmd/gtn
go build -o "$out/genfst" ./bench/genfst
"$out/genfst" -kind compose -dir "$out"
"$out/genfst" -kind lattice -dir "$out"
fstcompile "$out/a.txt" "$out/a.fst"
fstcompile "$out/b.txt" "$out/b.fst"
fstarcsort --sort_type=ilabel "$out/b.fst" "$out/b.sorted.fst"
fstcompile --arc_type=log "$out/lattice.txt" "$out/lattice.log.fst"
"$out/gtn" fst connect "$out/a.txt" -o "$out/a.msgpack"
"$out/gtn" fst connect "$out/b.txt" -o "$out/b.msgpack"
"$out/gtn" fst connect "$out/lattice.txt" -o "$out/lattice.msgpack"

# measure NAME CMD...: prints "median_seconds peak_kib" over $runs runs.
measure() {
  local times=() mem=0 line
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>&1
    line=$(tail -1 "$out/time.txt")
    times+=("${line% *}")
    [ "${line#* }" -gt "$mem" ] && mem=${line#* }
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$mem"
}

row() { # label gotn_result openfst_result
  local g=($2) o=($3)
  awk -v l="$1" -v gt="${g[0]}" -v gm="${g[1]}" -v ot="${o[0]}" -v om="${o[1]}" 'BEGIN {
    printf "%-44s gotn %6.3f s %7.1f MiB | OpenFst %6.3f s %7.1f MiB | time ratio %.2f\n", l, gt, gm/1024, ot, om/1024, (ot > 0 ? gt/ot : 0) }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "inputs: $(wc -l < "$out/a.txt") + $(wc -l < "$out/b.txt") lines (compose), $(wc -l < "$out/lattice.txt") lines (lattice)"
fstcompose "$out/a.fst" "$out/b.fst" "$out/ab.fst"
echo "compose output (OpenFst): $(fstinfo "$out/ab.fst" | grep -E '^# of (states|arcs)' | awk '{print $NF}' | paste -sd' ') states/arcs"
"$out/gtn" fst compose "$out/a.txt" "$out/b.txt" -o "$out/ab.txt"
"$out/gtn" fst info "$out/ab.txt" | grep -E '^(states|arcs)' | paste -sd' ' | sed 's/^/compose output (gotn):    /'

row "compose, text in/out (gotn) vs binary (OpenFst)" \
  "$(measure "$out/gtn" fst compose "$out/a.txt" "$out/b.txt" -o "$out/ab.txt")" \
  "$(measure fstcompose "$out/a.fst" "$out/b.fst" "$out/ab.fst")"
row "compose, binary in/out (both)" \
  "$(measure "$out/gtn" fst compose "$out/a.msgpack" "$out/b.msgpack" -o "$out/ab.msgpack")" \
  "$(measure fstcompose "$out/a.fst" "$out/b.sorted.fst" "$out/ab.fst")"
row "log shortest distance, 1M-arc lattice, text" \
  "$(measure "$out/gtn" fst shortestdistance --semiring log "$out/lattice.txt")" \
  "$(measure fstshortestdistance "$out/lattice.log.fst")"
row "log shortest distance, 1M-arc lattice, binary" \
  "$(measure "$out/gtn" fst shortestdistance --semiring log "$out/lattice.msgpack")" \
  "$(measure fstshortestdistance "$out/lattice.log.fst")"
