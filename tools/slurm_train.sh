#!/usr/bin/env bash
# Train on a SLURM cluster, one task per GPU:
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [ARGS]
#   GPUS=16 bash tools/slurm_train.sh gpu fcos configs/fcos_voc.py work_dirs/fcos
# Variables (GPUS, GPUS_PER_NODE, CPUS_PER_TASK, GRES, SRUN_ARGS, PYTHON): see
# slurm_run.sh. The job saves a checkpoint and exits with 75 when SLURM
# signals it first (srun --signal=USR1@120 in SRUN_ARGS): resubmit with
# --resume.
set -euo pipefail
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" train.py "$3" \
    --work-dir="$4" --launcher=slurm "${@:5}"
