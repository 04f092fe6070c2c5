#!/usr/bin/env bash
# What slurm_train.sh and slurm_test.sh share: one srun task per GPU
# running a LODAA tool (ARGS include --launcher=slurm):
#   bash tools/slurm_run.sh PARTITION JOB_NAME TOOL [ARGS]
# Variables: GPUS (tasks in all, default 8), GPUS_PER_NODE (default 8, or GPUS
# when fewer), CPUS_PER_TASK (default 5), GRES (default gpu:GPUS_PER_NODE; set
# it empty on CPU-only partitions), SRUN_ARGS (more srun flags), PYTHON.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
TOOL=$3
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
    "$PYTHON" -u "$(dirname "$0")/$TOOL" "${@:4}"
