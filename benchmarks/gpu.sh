#!/usr/bin/env bash
# The guide benchmarks on a GPU host that has no TensorFlow (the lent H200 machine:
# PyTorch and JAX with CUDA, no TensorFlow, no network). Keras 3 and the two packages it
# needs that the host lacks travel as wheels in .whl/:
#
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 -d .whl keras==3.15.1 namex optree
#
# refimpl, tf_keras, Keras 3 on TensorFlow and the fused TensorFlow limit need TensorFlow,
# whose wheel (hundreds of MB) cannot travel there, so this times Keras 3 on JAX (XLA)
# and on PyTorch (eager) on the GPU, and records what the host has. Writes to $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d)}
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore TF_CPP_MIN_LOG_LEVEL=3

python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site

{
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv
    nproc
    python3 --version
    python3 -c "import tensorflow" 2>&1 | tail -n 1
    python3 -c "import jax; print('jax', jax.__version__, jax.devices())"
    python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
    KERAS_BACKEND=jax python3 -c "import keras; print('keras', keras.__version__)"
} 2>&1 | tee "$OUT/host.txt"

python3 benchmarks/run.py --quick --impls "${IMPLS:-keras3_jax,keras3_torch}" \
    --json "$OUT/gpu.json" 2>&1 | tee "$OUT/gpu.log"
