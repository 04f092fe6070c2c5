#!/usr/bin/env bash
# Evaluate a checkpoint on a SLURM cluster, one task per GPU:
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [ARGS]
# Variables (GPUS, GPUS_PER_NODE, CPUS_PER_TASK, GRES, SRUN_ARGS, PYTHON): see
# slurm_run.sh.
set -euo pipefail
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" test.py "$3" "$4" \
    --launcher=slurm "${@:5}"
