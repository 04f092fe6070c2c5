# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The flags LODAA's launchers share, named and meaning as in mmdet's and
mmpretrain's tools, so a user of either finds the same command line."""
import argparse
import os

from mmengine.config import DictAction


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add the flags every launcher has (``--work-dir``, ``--cfg-options``,
    ``--launcher``, ``--local-rank``).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (nested keys with dots, '
        'lists as key="[a,b]"), e.g. train_dataloader.batch_size=4')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (pytorch for torchrun / dist_train.sh)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_unsafe_load_arg(parser)


def add_unsafe_load_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--unsafe-load``, which sets ``LODAA_UNSAFE_LOAD=1``.

    Checkpoints are otherwise loaded without running any of their code
    (:mod:`lodaa_plugin.compat.checkpoint`).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument(
        '--unsafe-load',
        action=_UnsafeLoad,
        nargs=0,
        help='load checkpoints that hold arbitrary pickled objects '
        '(runs their code: only for files you trust)')


class _UnsafeLoad(argparse.Action):
    """Set ``LODAA_UNSAFE_LOAD=1`` for this process and its workers."""

    def __call__(self, parser, namespace, values, option_string=None):
        os.environ['LODAA_UNSAFE_LOAD'] = '1'
        setattr(namespace, self.dest, True)


def add_vis_backend_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--vis-backend`` (repeatable): where scalars and drawn images go
    besides the work dir's local files.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument(
        '--vis-backend',
        nargs='+',
        choices=['tensorboard', 'wandb'],
        default=[],
        help='also log to TensorBoard and/or Weights & Biases (offline '
        'unless WANDB_MODE=online; needs the [vis] extra)')
