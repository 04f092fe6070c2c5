#!/usr/bin/env bash
# Distributed training with torchrun: bash tools/dist_train.sh CONFIG GPUS [ARGS]
# On a machine without GPUs, GPUS is the number of CPU processes (gloo).
# Exits with 75 when the ranks were preempted and saved (SIGTERM / SIGUSR1 to
# this script's process group, as timeout, SLURM and Ctrl-C send them):
# continue with the same command and --resume. torchrun itself would say 1.
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

export PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-}
# exec: one process receives the signal (a shell in between would die of it)
exec "$PYTHON" -m lodaa_plugin.utils.torchrun \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
