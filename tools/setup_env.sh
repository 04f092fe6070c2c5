#!/usr/bin/env bash
# Builds LODAA's environment in a virtual environment inside the checkout, in
# a few minutes and with no compiler. Idempotent: every step checks first and
# skips what is already in place.
#
#   bash tools/setup_env.sh                    # or: make env
#   LODAA_MMCV_OPS=1 bash tools/setup_env.sh   # mmcv with compiled ops
#
# Variables:
#   PYTHON          interpreter for the venv (default: python3.11, else python3)
#   VENV            venv folder (default: .venv)
#   LODAA_MMCV_OPS  which mmcv 2.1.0 (docs/get_started.md, "Compiled mmcv ops"):
#                     auto (default): the compiled ops when they already work
#                       or a matching wheel is on find-links, else mmcv-lite
#                     0: mmcv-lite, a pure-Python wheel; LODAA runs the few
#                       kernels it needs on torchvision (lodaa_plugin.compat)
#                     1: mmcv with compiled ops, from a matching wheel on
#                       find-links or compiled from source (~55 min on 2
#                       cores, a C++20 compiler)
#   LODAA_WHEELS    extra folders with prebuilt wheels (mmcv), space separated;
#                   PIP_FIND_LINKS is honoured too
#   TORCH_SPEC      torch requirement (default: torch==2.14.1 torchvision==0.29.1)
#   FORCE_CUDA      1 to compile mmcv's CUDA ops (default: 1 when nvcc and a GPU
#                   exist; only when compiling)
#   LODAA_MMCV_COMPILE  0 to stop (exit 3) rather than compile mmcv when no
#                   matching wheel is found (CI's optional compiled-ops run)
#   ENV_STAMP       file touched when the environment is ready
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
TORCH_SPEC=${TORCH_SPEC:-"torch==2.14.1 torchvision==0.29.1"}
MMCV_VERSION=2.1.0
MMCV_OPS=${LODAA_MMCV_OPS:-auto}
ENV_STAMP=${ENV_STAMP:-$VENV/.lodaa-env-ok}
case "$MMCV_OPS" in
    0|1|auto) ;;
    *) echo "[lodaa env] LODAA_MMCV_OPS=$MMCV_OPS: use 0, 1 or auto" >&2; exit 2 ;;
esac

say() { printf '\n[lodaa env] %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - START ))s"; }
START=$(date +%s)

# pip reads extra find-links from PIP_FIND_LINKS (space separated).
FIND_LINKS="${PIP_FIND_LINKS:-} ${LODAA_WHEELS:-}"
export PIP_FIND_LINKS="$(echo $FIND_LINKS)"

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtual environment $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PY="$ROOT/$VENV/bin/python"
PIP="$PY -m pip"

# setuptools 82 removed pkg_resources, which mmcv's setup.py and mmengine use;
# torch 2.14 needs >=77.0.3.
say "build tools: setuptools>=77.0.3,<82, wheel"
$PIP install -q "setuptools>=77.0.3,<82" wheel

if ! $PY -c "import torch, torchvision" 2>/dev/null; then
    say "installing $TORCH_SPEC (a few GB)"
    $PIP install $TORCH_SPEC
fi
TORCH_VERSION=$($PY -c "import torch; print(torch.__version__.split('+')[0])")
say "torch $TORCH_VERSION"

# mmcv imports mmengine, and both need opencv (<5: 5.x is untested here).
say "mmengine 0.10.7 and opencv-python<5"
$PIP install -q "mmengine==0.10.7" "opencv-python<5"

# The installed mmcv: ops (its compiled kernels load), lite (no compiled
# ops), broken (they are there but do not load) or none.
mmcv_state() {
    $PY -c "
import importlib, importlib.util
import mmcv
if importlib.util.find_spec('mmcv._ext') is None:
    print('lite')
else:
    try:
        importlib.import_module('mmcv._ext')
        print('ops')
    except (ImportError, OSError):
        print('broken')
" 2>/dev/null || echo none
}

# mmcv-lite and mmcv install the same files: one of them at a time.
remove_mmcv() {
    $PIP uninstall -y -q mmcv mmcv-lite 2>/dev/null || true
}

install_mmcv_lite() {
    remove_mmcv
    $PIP install -q "mmcv-lite==$MMCV_VERSION"
    say "mmcv-lite $MMCV_VERSION installed: no compiled ops; LODAA runs nms," \
        "soft_nms, roi_align, sigmoid_focal_loss and deformable convolution" \
        "on torchvision / PyTorch"
}

# A prebuilt wheel only matches the C++ ABI of the torch it was built with.
install_mmcv_wheel() {
    [ "$TORCH_VERSION" = "2.14.1" ] && [ -n "$PIP_FIND_LINKS" ] || return 1
    rm -rf "$ROOT/build/mmcv-wheel"
    $PIP download -q --no-deps --only-binary :all: -d "$ROOT/build/mmcv-wheel" \
        "mmcv==$MMCV_VERSION" >/dev/null 2>&1 || return 1
    remove_mmcv
    $PIP install -q --no-deps "$ROOT"/build/mmcv-wheel/mmcv-$MMCV_VERSION-*.whl
    if [ "$(mmcv_state)" != ops ]; then
        say "the mmcv wheel on find-links does not load beside torch $TORCH_VERSION"
        remove_mmcv
        return 1
    fi
    say "mmcv $MMCV_VERSION with compiled ops from a prebuilt wheel in: $PIP_FIND_LINKS"
}

build_mmcv_from_source() {
    if [ "${LODAA_MMCV_COMPILE:-1}" = 0 ]; then
        echo "[lodaa env] no mmcv $MMCV_VERSION wheel for torch $TORCH_VERSION on" \
            "find-links (${PIP_FIND_LINKS:-none}) and LODAA_MMCV_COMPILE=0: not compiling" >&2
        exit 3
    fi
    local work="$ROOT/build/mmcv-src"
    rm -rf "$work"; mkdir -p "$work"
    say "downloading the mmcv $MMCV_VERSION source distribution"
    $PIP download -q --no-deps --no-binary :all: --no-build-isolation \
        -d "$work" "mmcv==$MMCV_VERSION"
    tar -xzf "$work"/mmcv-$MMCV_VERSION.tar.gz -C "$work"
    local src="$work/mmcv-$MMCV_VERSION"
    # torch >= 2.10 headers need C++20 ("C++20 or later compatible compiler is
    # required to use ATen"); mmcv 2.1.0 hard-codes -std=c++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
    if [ -z "${FORCE_CUDA:-}" ] && command -v nvcc >/dev/null \
        && $PY -c "import torch,sys; sys.exit(not torch.cuda.is_available())"; then
        export FORCE_CUDA=1
    fi
    local jobs=${MAX_JOBS:-$(nproc)}
    say "compiling mmcv $MMCV_VERSION ops (FORCE_CUDA=${FORCE_CUDA:-0}, $jobs jobs)." \
        "This takes about 55 minutes on 2 CPU cores (about 4 on 16 cores with CUDA);" \
        "the full compiler log is in build/mmcv-build.log"
    local log="$ROOT/build/mmcv-build.log"
    (cd "$src" && MMCV_WITH_OPS=1 MAX_JOBS=$jobs $PIP wheel -v --no-build-isolation \
        --no-deps -w "$ROOT/build/wheels" . >"$log" 2>&1) &
    local pid=$!
    local total
    total=$(find "$src/mmcv/ops/csrc" -name '*.cpp' -o -name '*.cu' | wc -l)
    while kill -0 "$pid" 2>/dev/null; do
        sleep 60
        local done_
        done_=$(find "$src/build" -name '*.o' 2>/dev/null | wc -l)
        echo "[lodaa env] mmcv build: $done_ of ~$total sources compiled, $(elapsed) elapsed"
    done
    if ! wait "$pid"; then
        tail -40 "$log"
        echo "[lodaa env] mmcv build failed: see $log" >&2
        exit 1
    fi
    remove_mmcv
    $PIP install --no-deps "$ROOT"/build/wheels/mmcv-$MMCV_VERSION-*.whl
    [ "$(mmcv_state)" = ops ] \
        || { echo "[lodaa env] mmcv installed but its ops do not load" >&2; exit 1; }
}

STATE=$(mmcv_state)
case "$MMCV_OPS:$STATE" in
    1:ops|auto:ops)
        say "mmcv $MMCV_VERSION with compiled ops already works" ;;
    0:lite)
        say "mmcv-lite $MMCV_VERSION already installed" ;;
    auto:lite)
        # a wheel that does not load was taken out again: mmcv-lite back
        install_mmcv_wheel || { [ "$(mmcv_state)" = lite ] || install_mmcv_lite; } ;;
    0:*)
        install_mmcv_lite ;;
    1:*)
        install_mmcv_wheel || build_mmcv_from_source ;;
    auto:*)
        install_mmcv_wheel || install_mmcv_lite ;;
esac

say "OpenMMLab stack and LODAA (editable): mmdet, mmpretrain, pycocotools, scikit-learn, matplotlib, pytest, flake8, isort, yapf, tensorboard, wandb, onnx, onnxruntime, openvino, nncf, sphinx"
$PIP install -q --no-build-isolation -e ".[tests,lint,vis,deploy,docs,track]"

# transformers breaks mmpretrain's multimodal import; LODAA keeps it out.
if $PY -c "import transformers" 2>/dev/null; then
    say "note: transformers is installed; lodaa_plugin switches mmpretrain's multimodal models off"
fi

$PY -c "import lodaa_plugin, mmdet, mmpretrain, mmcv, mmengine, torch; \
from lodaa_plugin.compat.kernels import kernel_fallbacks_installed as lite; \
print('[lodaa env] ready: lodaa_plugin', lodaa_plugin.__version__, '| torch', torch.__version__, \
'| mmengine', mmengine.__version__, '| mmcv', mmcv.__version__, \
'(no compiled ops: mmcv-lite)' if lite() else '(compiled ops)', '| mmdet', mmdet.__version__, \
'| mmpretrain', mmpretrain.__version__)"
touch "$ENV_STAMP"
say "done in $(elapsed)"
