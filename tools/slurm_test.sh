#!/usr/bin/env bash
# Evaluate a checkpoint on a SLURM cluster, one task per GPU:
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [ARGS]
# Variables as in slurm_train.sh (GPUS, GPUS_PER_NODE, CPUS_PER_TASK, GRES,
# SRUN_ARGS, PYTHON).
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$(( GPUS < 8 ? GPUS : 8 ))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES-gpu:$GPUS_PER_NODE}
SRUN_ARGS=${SRUN_ARGS:-}
PYTHON=${PYTHON:-python}

# shellcheck disable=SC2086  # SRUN_ARGS holds several flags
PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-} \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    ${GRES:+--gres="$GRES"} \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" \
    --launcher=slurm "${@:5}"
