# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Run LODAA's command-line tools from tests, as a user would."""
import os
import re
import subprocess
import sys
from typing import Dict, List, Sequence

from .paths import REPO_ROOT

PYTHON = sys.executable


def python_env(repo_root: str = REPO_ROOT) -> Dict[str, str]:
    """Build the environment of a tool's process.

    Args:
        repo_root (str): The checkout, put first on ``PYTHONPATH`` with
            its ``tests/`` (for :mod:`lodaa_testing`). Defaults to this
            checkout.

    Returns:
        dict[str, str]: This process's environment, the checkout
        importable, one OpenMP thread unless set.
    """
    env = dict(os.environ)
    # no empty entry: it would put the tool's working folder on sys.path
    env['PYTHONPATH'] = os.pathsep.join(p for p in [
        repo_root,
        os.path.join(repo_root, 'tests'),
        env.get('PYTHONPATH', '')
    ] if p)
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def run_tool(args: Sequence[str],
             cwd: str,
             repo_root: str = REPO_ROOT,
             timeout: float = 900) -> str:
    """Run a command and fail with its output's tail if it fails.

    Args:
        args (Sequence[str]): The command.
        cwd (str): Its working folder.
        repo_root (str): The checkout (see :func:`python_env`). Defaults
            to this checkout.
        timeout (float): Seconds before it is killed. Defaults to 900.

    Returns:
        str: Its standard output and error.
    """
    result = subprocess.run([str(a) for a in args],
                            cwd=cwd,
                            env=python_env(repo_root),
                            capture_output=True,
                            text=True,
                            timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    return output


def with_run_logs(output: str) -> str:
    """Append to a tool's console output the log files it names for what
    :class:`~lodaa_plugin.engine.runner.LodaaRunner` keeps off the console
    (environment, config, hooks).

    Args:
        output (str): The console output.

    Returns:
        str: The output, then each named log file's text.
    """
    logs = dict.fromkeys(
        re.findall(r'environment, config and hooks: in (\S+\.log)', output))
    return output + ''.join(open(path).read() for path in logs)


def data_options(root: str, split: str) -> List[str]:
    """Build ``--cfg-options`` that point every loader of a detection
    config at one VOC2007 split, without worker processes.

    Args:
        root (str): The ``VOCdevkit/`` root.
        split (str): The list file, e.g. ``'test.txt'``.

    Returns:
        list[str]: ``key=value`` options.
    """
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.data_root={root}',
            f'{loader}.dataset.ann_file=VOC2007/ImageSets/Main/{split}',
            f'{loader}.num_workers=0', f'{loader}.persistent_workers=False'
        ]
    return opts
