#!/usr/bin/env bash
# Benchmark LODAA on a CUDA GPU in one command (DEVICE=cpu: a dry run on the
# CPU): build mmcv's CUDA ops if the installed mmcv lacks them, then compare
# LODAA's FCOS with torchvision's at 512x512 batch 16 and 224x224 batch 64,
# fp32 and AMP, and LODAA's head with mmdet's FCOSHead on the same outputs.
# Results (JSON and a log) go to $OUT (default: work_dirs/gpu_benchmark).
#
#   bash tools/analysis/gpu_benchmark.sh
#   DEVICE=cpu SIZES="224:2" AMPS="none" bash tools/analysis/gpu_benchmark.sh
#
# Offline GPU machines: copy in the mmcv source distribution as
# build/mmcv-src/mmcv-2.1.0 (tools/setup_env.sh leaves it there when it
# compiles mmcv) and wheels of mmengine, mmdet and mmpretrain in
# build/offline-wheels (pip download --no-deps ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-work_dirs/gpu_benchmark}
SIZES=${SIZES:-"512:16 224:64"}
AMPS=${AMPS:-"none bf16 fp16"}
PY=${PYTHON:-python}
mkdir -p "$OUT"
start=$(date +%s)
# lodaa_plugin from this checkout, installed or not
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

if [ "$DEVICE" = cuda ] && ! $PY - <<'PYEOF' 2>/dev/null
import torch
from mmcv.ops import nms
nms(torch.rand(4, 4, device='cuda').sort(1)[0], torch.rand(4, device='cuda'), 0.5)
PYEOF
then
    echo "[gpu] installing build/offline-wheels and compiling mmcv CUDA ops"
    if [ -d build/offline-wheels ]; then
        $PY -m pip install -q --no-index --find-links build/offline-wheels \
            --no-deps build/offline-wheels/*.whl
    fi
    src=$(ls -d build/mmcv-src/mmcv-2.1.0 2>/dev/null || true)
    [ -n "$src" ] || { echo "[gpu] no mmcv source in build/mmcv-src" >&2; exit 1; }
    sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
    (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=1 MAX_JOBS=${MAX_JOBS:-16} \
        TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0} \
        $PY -m pip install -q --no-build-isolation --no-deps . ) \
        > "$OUT/mmcv-build.log" 2>&1
    echo "[gpu] mmcv built in $(( $(date +%s) - start )) s"
fi

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
