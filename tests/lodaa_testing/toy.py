# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Run the toy mmengine job (:mod:`.toy_runner`) and read its weights."""
import re
import subprocess
from typing import Dict, List, Optional, Sequence

from . import toy_runner
from .tools import PYTHON, python_env

TOY_RUNNER = toy_runner.__file__


def toy_command(args: Sequence[str],
                nproc: Optional[int] = None,
                port: int = 29500) -> List[str]:
    """Build the command line of a toy job.

    Args:
        args (Sequence[str]): ``WORK_DIR MAX_EPOCHS`` and options.
        nproc (int, optional): Processes under ``torchrun`` (pytorch
            launcher); one plain process when None. Defaults to None.
        port (int): ``torchrun``'s master port. Defaults to 29500.

    Returns:
        list[str]: The command.
    """
    args = [str(a) for a in args]
    if nproc is None:
        return [PYTHON, TOY_RUNNER, *args]
    return [
        PYTHON, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}',
        f'--master_port={port}', TOY_RUNNER, *args, '--launcher', 'pytorch'
    ]


def run_toy(args: Sequence[str],
            env: Optional[Dict[str, str]] = None,
            timeout: float = 300,
            **launch) -> subprocess.CompletedProcess:
    """Run a toy job to its end.

    Args:
        args (Sequence[str]): ``WORK_DIR MAX_EPOCHS`` and options.
        env (dict, optional): Variables added to :func:`python_env`.
            Defaults to None.
        timeout (float): Seconds before it is killed. Defaults to 300.
        **launch: ``nproc`` and ``port`` of :func:`toy_command`.

    Returns:
        subprocess.CompletedProcess: With text ``stdout`` and ``stderr``.
    """
    full_env = python_env()
    full_env.update(env or {})
    if launch.get('nproc'):
        full_env.pop('CUDA_VISIBLE_DEVICES', None)
    return subprocess.run(
        toy_command(args, **launch),
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout)


def final_weights(output: str) -> List[float]:
    """Read the last ``FINAL_WEIGHTS`` line a toy job printed.

    Args:
        output (str): The job's standard output.

    Returns:
        list[float]: The linear layer's weights, then its bias.
    """
    lines = [ln for ln in output.splitlines() if ln.startswith('FINAL')]
    assert lines, output[-3000:]
    return [float(v) for v in re.findall(r'-?\d+\.\d+(?:e-?\d+)?', lines[-1])]
