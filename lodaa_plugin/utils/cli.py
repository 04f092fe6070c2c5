# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""What tools/train.py and tools/test.py share: flags, config, runner.

The flags and their meaning follow mmdet's and mmpretrain's tools, so a user
of either finds the same command line here.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


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


def load_config(args: argparse.Namespace) -> Config:
    """Read the config and apply the common flags.

    Args:
        args (argparse.Namespace): Parsed arguments with ``config``,
            ``work_dir``, ``cfg_options`` and ``launcher``.

    Returns:
        Config: The config, with ``work_dir`` defaulting to
        ``work_dirs/<config name>``.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Build the runner the config asks for (``runner_type``) or the default.

    Args:
        cfg (Config): The full config.

    Returns:
        Runner: The runner.
    """
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
