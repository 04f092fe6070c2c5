#!/usr/bin/env bash
# Benchmark LODAA on a CUDA GPU in one command (DEVICE=cpu: a dry run on the
# CPU), with nothing to compile: set up the OpenMMLab stack from carried
# wheels if it is missing (mmcv-lite: LODAA runs mmcv's few kernels it needs
# on torchvision), check the kernel fallbacks on the device, then compare
# LODAA's FCOS with torchvision's at 512x512 batch 16 and 224x224 batch 64,
# fp32 and AMP, and LODAA's head with mmdet's FCOSHead on the same outputs.
# Results (JSON and a log) go to $OUT (default: work_dirs/gpu_benchmark).
#
#   make gpu-wheels                      # here, once: .whl/ (about 8 MB)
#   bash tools/analysis/gpu_benchmark.sh # there, with .whl/ carried along
#   DEVICE=cpu SIZES="224:2" AMPS="none" bash tools/analysis/gpu_benchmark.sh
#
# Variables: WHEELS (default .whl), SITE (where they are installed, default
# /tmp/lodaa-site), DEVICE, OUT, SIZES, AMPS, ITERS, REPEATS, PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-work_dirs/gpu_benchmark}
SIZES=${SIZES:-"512:16 224:64"}
AMPS=${AMPS:-"none bf16 fp16"}
WHEELS=${WHEELS:-.whl}
SITE=${SITE:-/tmp/lodaa-site}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
start=$(date +%s)
# lodaa_plugin from this checkout, installed or not
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

if ! $PY -c "import mmdet, mmpretrain, mmengine, mmcv" 2>/dev/null; then
    [ -d "$WHEELS" ] || {
        echo "[gpu] mmdet is not installed and there is no $WHEELS: run" \
            "'make gpu-wheels' where pip works and carry $WHEELS" >&2
        exit 1
    }
    echo "[gpu] installing $(ls "$WHEELS"/*.whl | wc -l) wheels from $WHEELS into $SITE"
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target "$SITE" "$WHEELS"/*.whl
    export PYTHONPATH="$PYTHONPATH:$SITE"
fi
$PY -c "import lodaa_plugin, torch, mmcv, mmdet; \
from lodaa_plugin.compat.kernels import kernel_fallbacks_installed as lite; \
print('[gpu] torch', torch.__version__, '| mmcv', mmcv.__version__, \
'(mmcv-lite: torchvision kernels)' if lite() else '(compiled ops)', \
'| mmdet', mmdet.__version__, '| device', \
torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu')" \
    2>&1 | grep '^\[gpu\]' | tee "$OUT/setup.log"
echo "[gpu] set up in $(( $(date +%s) - start )) s" | tee -a "$OUT/setup.log"

echo "[gpu] kernel fallbacks against their references, on $DEVICE too"
$PY -m pytest -q -p no:cacheprovider tests/test_compat/test_kernels.py 2>&1 \
    | tail -3 | tee "$OUT/kernels.log" || echo "[gpu] kernel tests failed"

for size_batch in $SIZES; do
    size=${size_batch%%:*}; batch=${size_batch##*:}
    config=configs/fcos_voc.py
    [ "$size" -le 224 ] && config=configs/fcos_voc_224.py
    for amp in $AMPS; do
        name="${size}_b${batch}_${amp}"
        echo "[gpu] $config ${size}x${size} batch $batch amp $amp"
        $PY tools/analysis/benchmark.py "$config" --device "$DEVICE" \
            --size "$size" --batch "$batch" --amp "$amp" \
            --iters "${ITERS:-10}" --repeats "${REPEATS:-3}" \
            --out "$OUT/$name.json" 2>&1 | grep -v Warning | tee "$OUT/$name.log"
    done
done
for size_batch in $SIZES; do
    size=${size_batch%%:*}; batch=${size_batch##*:}
    config=configs/fcos_voc.py
    [ "$size" -le 224 ] && config=configs/fcos_voc_224.py
    echo "[gpu] heads only: LODAA vs mmdet FCOSHead, ${size}x${size} batch $batch"
    $PY tools/analysis/benchmark_head.py "$config" --device "$DEVICE" \
        --size "$size" --batch "$batch" 2>&1 | grep -v Warning \
        | tee "$OUT/head_${size}_b${batch}.log" || echo "[gpu] head benchmark failed"
done
echo "[gpu] batched post-processing on $DEVICE against mmdet's and the CPU's"
$PY tools/analysis/check_postprocess_device.py --device "$DEVICE" 2>&1 \
    | grep -v Warning | tee "$OUT/postprocess_check.log" \
    || echo "[gpu] post-processing check failed"
echo "[gpu] done in $(( $(date +%s) - start )) s; results in $OUT"
