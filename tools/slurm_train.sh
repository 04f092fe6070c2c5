#!/usr/bin/env bash
# Train on a SLURM cluster, one task per GPU:
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [ARGS]
#   GPUS=16 bash tools/slurm_train.sh gpu fcos configs/fcos_voc.py work_dirs/fcos
# Variables: GPUS (tasks in all, default 8), GPUS_PER_NODE (default 8, or GPUS
# when fewer), CPUS_PER_TASK (default 5), GRES (default gpu:GPUS_PER_NODE; set
# it empty on CPU-only partitions), SRUN_ARGS (more srun flags), PYTHON.
# The job saves a checkpoint and exits with 75 when SLURM signals it first
# (srun --signal=USR1@120 in SRUN_ARGS): resubmit with --resume.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
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
    "$PYTHON" -u "$(dirname "$0")/train.py" "$CONFIG" \
    --work-dir="$WORK_DIR" --launcher=slurm "${@:5}"
