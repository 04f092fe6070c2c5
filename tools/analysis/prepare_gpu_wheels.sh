#!/usr/bin/env bash
# Download here, once, the wheels that an offline GPU machine needs beside its
# own PyTorch to run tools/analysis/gpu_benchmark.sh: the OpenMMLab releases
# (mmcv-lite: nothing to compile) and the small packages they import that such
# an image lacks, for its Python (default 3.12), about 8 MB in all.
#
#   bash tools/analysis/prepare_gpu_wheels.sh [DEST]      # or: make gpu-wheels
#
# DEST defaults to .whl (git-ignored). Carry it to the GPU machine beside the
# checkout; gpu_benchmark.sh installs it with `pip --no-index --target`.
# Variables: GPU_PYTHON_VERSION (default 3.12).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST=${1:-.whl}
PYVER=${GPU_PYTHON_VERSION:-3.12}
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}

# what mmengine, mmcv-lite, mmdet and mmpretrain import that is not in a
# CUDA PyTorch image (numpy, opencv, matplotlib, scipy, rich, pyyaml,
# einops, tqdm, six and packaging are)
PACKAGES=(
    mmengine==0.10.7 mmcv-lite==2.1.0 mmdet==3.3.0 mmpretrain==1.2.0
    addict yapf platformdirs termcolor terminaltables pycocotools shapely
    mat4py model-index ordered-set importlib-metadata lazy-importer zipp
)
rm -rf "$DEST"
mkdir -p "$DEST"
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 \
    manylinux2014_x86_64 manylinux1_x86_64; do
    platforms+=(--platform "$p")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: \
    --python-version "$PYVER" --implementation cp "${platforms[@]}" \
    -d "$DEST" "${PACKAGES[@]}"
echo "[gpu-wheels] $(ls "$DEST" | wc -l) wheels, $(du -sh "$DEST" | cut -f1), in $DEST:"
ls "$DEST"
