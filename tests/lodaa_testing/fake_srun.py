# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A stand-in for SLURM's ``srun`` on one machine, for testing
``tools/slurm_*.sh``.

    python -m lodaa_testing.fake_srun -p PART --ntasks=2 ... CMD ARGS

Starts ``--ntasks`` copies of the command with the variables srun sets for
each task (``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``,
``SLURM_NODELIST``, ``SLURM_JOB_NAME``), and exits with the first failing
status (the others are stopped, as ``--kill-on-bad-exit=1`` does). The flags
it was given go to the JSON file ``$FAKE_SRUN_LOG`` when that is set.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(prog='srun')
    parser.add_argument('-p', '--partition', required=True)
    parser.add_argument('--job-name', required=True)
    parser.add_argument('--gres')
    parser.add_argument('--ntasks', type=int, required=True)
    parser.add_argument('--ntasks-per-node', type=int, required=True)
    parser.add_argument('--cpus-per-task', type=int)
    parser.add_argument('--kill-on-bad-exit', type=int, default=0)
    parser.add_argument('command', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if os.environ.get('FAKE_SRUN_LOG'):
        with open(os.environ['FAKE_SRUN_LOG'], 'w') as f:
            json.dump(vars(args), f)
    tasks = []
    for rank in range(args.ntasks):
        env = dict(
            os.environ,
            SLURM_PROCID=str(rank),
            SLURM_NTASKS=str(args.ntasks),
            SLURM_LOCALID=str(rank % args.ntasks_per_node),
            SLURM_NODELIST='fake-node',
            SLURM_JOB_NAME=args.job_name)
        tasks.append(subprocess.Popen(args.command, env=env))
    while True:
        codes = [t.poll() for t in tasks]
        failed = [c for c in codes if c not in (None, 0)]
        if failed and args.kill_on_bad_exit:
            for task in tasks:
                if task.poll() is None:
                    task.kill()
            return failed[0]
        if all(c is not None for c in codes):
            return failed[0] if failed else 0
        time.sleep(0.2)


if __name__ == '__main__':
    sys.exit(main())
