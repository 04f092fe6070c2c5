# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Reading a config the way LODAA's tools do: ``--cfg-options`` keys that
nothing reads are refused, and configs that moved are found where they went.
"""
import argparse
import difflib
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config

from .moved_configs import resolve_moved_config


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
    path = resolve_moved_config(args.config)
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    cfg = read_config(path, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if getattr(args, 'vis_backend', None):
        from .config_edits import add_vis_backends
        add_vis_backends(cfg, args.vis_backend)
    return cfg


def read_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config and apply ``--cfg-options``, refusing unread keys.

    A config that moved (:mod:`.moved_configs`) is read from its new place.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): ``key=value`` options. Defaults to
            None.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(resolve_moved_config(path))
    if cfg_options:
        check_option_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


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
