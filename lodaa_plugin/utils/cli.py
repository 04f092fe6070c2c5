# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""What tools/train.py and tools/test.py share: flags, config, runner.

The flags and their meaning follow mmdet's and mmpretrain's tools, so a user
of either finds the same command line here.
"""
import argparse
import difflib
import importlib
import os
import os.path as osp
from types import ModuleType
from typing import Any, Optional, Tuple

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
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
    cfg = read_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if getattr(args, 'vis_backend', None):
        from .run_options import add_vis_backends
        add_vis_backends(cfg, args.vis_backend)
    return cfg


def read_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config and apply ``--cfg-options``, refusing unread keys.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): ``key=value`` options. Defaults to
            None.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        check_option_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_model_without_weights(cfg: Config) -> Tuple[Any, ModuleType]:
    """Build the config's model in its scope, skipping pretrained weights.

    For tools that load a checkpoint afterwards or need no weights at all.

    Args:
        cfg (Config): The config (its backbone ``init_cfg`` is cleared).

    Returns:
        tuple: The model and the scope's registry module (``MODELS``,
        ``DATASETS``, ...).
    """
    scope = cfg.get('default_scope', 'mmdet')
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry')
    if 'init_cfg' in cfg.model.get('backbone', {}):
        cfg.model.backbone.init_cfg = None
    return registry.MODELS.build(cfg.model), registry


def build_dataset(cfg: Config, phase: str = 'test') -> Any:
    """Build a config's dataset (with its pipeline) in the config's scope.

    Args:
        cfg (Config): The config.
        phase (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'test'``.

    Returns:
        BaseDataset: The dataset.
    """
    scope = cfg.get('default_scope', 'mmdet')
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry')
    return registry.DATASETS.build(cfg[f'{phase}_dataloader'].dataset)


# Top-level config keys that mmengine's Runner (and LODAA's tools) read;
# every other top-level name is a variable of the config file.
RUNNER_KEYS = frozenset(
    ('model', 'work_dir', 'train_dataloader', 'val_dataloader',
     'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
     'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
     'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
     'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
     'visualizer', 'default_scope', 'randomness', 'experiment_name',
     'model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
     'activation_checkpointing', 'efficient_conv_bn_eval', 'compile',
     'custom_imports', 'runner_type'))


def check_option_keys(cfg: Config, options: dict) -> None:
    """Refuse ``--cfg-options`` keys that nothing would read.

    A misspelt key (``load_form=``) would be added silently, and a config
    variable (``max_iters=``) was already used when the file was read, so
    changing it changes nothing.

    Args:
        cfg (Config): The config as read from its file.
        options (dict): ``key=value`` options, keys with dots.

    Raises:
        ValueError: Naming each such key, with the closest known keys or the
            settings that hold the variable's value.
    """
    problems = []
    for key in options:
        top = key.split('.')[0]
        if top in RUNNER_KEYS:
            continue
        if top in cfg:
            users = _keys_holding(cfg, cfg[top]) if '.' not in key else []
            problems.append(
                f'{key!r}: {top!r} is a variable of the config file, already '
                'used when the file was read; setting it changes nothing' +
                (f'. Set what uses it instead: {", ".join(users[:5])}'
                 if users else ''))
        else:
            close = difflib.get_close_matches(
                top, sorted(RUNNER_KEYS | set(cfg)), n=3)
            problems.append(f'{key!r}: no setting {top!r} exists' + (
                f' (did you mean {", ".join(close)}?)' if close else ''))
    if problems:
        raise ValueError('--cfg-options that nothing reads: ' +
                         '; '.join(problems))


def _keys_holding(cfg: Config, value: object, prefix: str = '') -> list:
    """List the dotted keys of settings whose value equals ``value``."""
    found = []
    containers = (dict, list, tuple)
    items = cfg.items() if hasattr(cfg, 'items') else enumerate(cfg)
    for key, item in items:
        name = f'{prefix}{key}'
        if not prefix and key not in RUNNER_KEYS:
            continue
        if isinstance(item, containers) and not isinstance(value, containers):
            found += _keys_holding(item, value, name + '.')
        elif type(item) is type(value) and item == value:
            found.append(name)
    return found


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


def close_distributed() -> None:
    """Destroy the process group, if any, before the interpreter exits.

    mmengine leaves it open; a gloo group torn down by interpreter exit can
    abort a finished worker ("terminate called without an active
    exception", status 134), which fails the whole torchrun or srun job.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
