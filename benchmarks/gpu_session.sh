#!/usr/bin/env bash
# Every GPU measurement of issue 16 in one go, for a short device session (H200: about 6-8 minutes).
# Needs torch, numpy, pillow, torchvision, pluggy; NOT sqlmodel/textual (this checkout on PYTHONPATH).
#   DATA=/path/to/fashion-mnist OUT=/somewhere bash benchmarks/gpu_session.sh
# Each step has its own time limit, so one slow step cannot eat the others' time; the tables go to
# stdout and, with figures as JSON, to $OUT.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
DATA=${DATA:?set DATA to the folder holding the 4 Fashion-MNIST gzip IDX files}
OUT=${OUT:-/tmp/cgan_gpu}
mkdir -p "$OUT"
PY=${PYTHON:-python}
step() { local limit=$1; shift; echo; echo "=== $* (limit ${limit}s)"; timeout "$limit" "$PY" "$@" || echo "=== exit $?: $*"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
step 90  benchmarks/train_throughput.py --data "$DATA" --device "${DEVICE:-cuda}" --steps 200 --warmup 20 --repeats 2 --bf16 on
step 200 benchmarks/precision_quality.py --data "$DATA" --device "${DEVICE:-cuda}" --epochs "${EPOCHS:-4}" --n 10000 --json "$OUT/precision_quality.json"
step 150 benchmarks/gpu_grid.py --data "$DATA" --device "${DEVICE:-cuda}" --steps 300 --seed000-epochs "${SEED000_EPOCHS:-5}" --json "$OUT/gpu_grid.json"
if [ -f benchmarks/eval_precision.py ]; then
  step 90 benchmarks/eval_precision.py --data "$DATA" --device "${DEVICE:-cuda}" --n 1000 --json "$OUT/eval_precision.json"
fi
