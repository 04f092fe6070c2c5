# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Reading a config the way LODAA's tools do: ``--cfg-options`` keys that
nothing reads are refused, and a config path that does not exist is named
with the nearest configs that do.
"""
import argparse
import ast
import difflib
import glob
import importlib
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config


def configs_dir() -> str:
    """Where LODAA's configs are.

    In a checkout, its ``configs/``; in an installed wheel, the copy inside
    the package, ``site-packages/lodaa_plugin/.mim/configs`` (mmdet's
    convention), which a downstream config names in its ``_base_``.

    Returns:
        str: The folder holding ``fcos_voc.py`` and the rest.
    """
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for folder in (osp.join(package, '.mim', 'configs'),
                   osp.join(osp.dirname(package), 'configs')):
        if osp.isfile(osp.join(folder, 'fcos_voc.py')):
            return folder
    raise FileNotFoundError(
        f'no LODAA configs beside {package}: neither an installed wheel '
        "(lodaa_plugin/.mim/configs) nor a checkout's configs/")


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
    cfg = read_config(args.config, args.cfg_options)
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

    Args:
        path (str): The config file.
        cfg_options (dict, optional): ``key=value`` options. Defaults to
            None.

    Returns:
        Config: The merged config.

    Raises:
        FileNotFoundError: When ``path`` is not a file, naming the configs
            whose names are closest to it.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(_missing_config_message(path))
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as error:
        if error.filename not in (None, '<unknown>', '<string>'):
            raise
        raise _named_syntax_error(path, error) from None
    if cfg_options:
        check_option_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


def _named_syntax_error(path: str, error: SyntaxError) -> SyntaxError:
    """The syntax error mmengine reports at ``File "<unknown>"``, with the
    config (the file itself or one of its ``_base_``) and line it is in."""
    found = _first_syntax_error(path, set())
    if found is None:
        return SyntaxError(f'{error.msg} (in config {path} or its _base_)')
    where, err = found
    return SyntaxError(f'{err.msg} (config {where}, line {err.lineno})',
                       (where, err.lineno, err.offset, err.text))


def _first_syntax_error(path: str, seen: set) -> Optional[tuple]:
    """(file, error) of the first file with a syntax error among ``path``
    and its ``_base_`` files, depth first."""
    if path in seen or not path.endswith('.py') or not osp.isfile(path):
        return None
    seen.add(path)
    with open(path, encoding='utf-8') as f:
        text = f.read()
    try:
        ast.parse(text, filename=path)
    except SyntaxError as error:
        return path, error
    try:
        bases = Config._get_base_files(path)
    except Exception:  # an unusual _base_: mmengine's message stays
        return None
    for base in bases:
        try:
            base_path = osp.normpath(Config._get_cfg_path(base, path)[0])
        except Exception:
            continue
        found = _first_syntax_error(base_path, seen)
        if found:
            return found
    return None


def _missing_config_message(path: str) -> str:
    """Say that a config does not exist and which of LODAA's are closest."""
    try:
        root = configs_dir()
    except FileNotFoundError:
        return f'config file {path} does not exist'
    known = sorted(
        osp.relpath(found, root)
        for found in glob.glob(osp.join(root, '**', '*.py'), recursive=True)
        if not osp.basename(found).startswith('_'))
    names = {osp.basename(name): name for name in known}
    close = difflib.get_close_matches(
        osp.basename(path), list(names), n=3, cutoff=0.5)
    hint = (', '.join(
        f'configs/{names[name]}'
        for name in close) if close else f'none close, see {root}')
    return f'config file {path} does not exist. Closest: {hint}'


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

    A misspelt key (``load_form=``, ``model.test_cfg.nms_pree=``) would be
    added silently, and a config variable (``max_iters=``) was already used
    when the file was read, so changing it changes nothing. A new key inside
    a component (a dict with ``type``) must be an argument its class takes;
    a new key inside a plain settings dict is refused when it is close to
    one the dict has (likely a typo).

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
            nested = _nested_problem(cfg, key)
            if nested:
                problems.append(nested)
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


# registries a ``type`` may come from, in the order they are tried
_REGISTRIES = ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'LOOPS',
               'TASK_UTILS', 'OPTIM_WRAPPERS', 'OPTIMIZERS',
               'PARAM_SCHEDULERS', 'DATA_SAMPLERS', 'VISUALIZERS',
               'VISBACKENDS')


def _nested_problem(cfg: Config, key: str) -> Optional[str]:
    """Why a dotted key adds a setting nothing reads, or None."""
    parts = key.split('.')
    node = cfg.to_dict()
    for part in parts[:-1]:
        is_list = isinstance(node, (list, tuple))
        if is_list and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None  # a new subtree: nothing to compare with
    last, parent = parts[-1], '.'.join(parts[:-1])
    if not isinstance(node, dict) or last in node:
        return None
    if 'type' in node:
        accepted = _accepted_arguments(node['type'],
                                       cfg.get('default_scope', 'mmdet'))
        if accepted is None or last in accepted:
            return None
        close = difflib.get_close_matches(last, sorted(accepted), n=3)
        return (f'{key!r}: {node["type"]} takes no argument {last!r}' +
                (f' (did you mean {", ".join(close)}?)' if close else ''))
    close = difflib.get_close_matches(last, sorted(node), n=3, cutoff=0.8)
    if close:
        return (f'{key!r}: {parent} has no setting {last!r} (did you mean '
                f'{", ".join(close)}?)')
    return None


def _accepted_arguments(type_name, scope: str) -> Optional[set]:
    """The keyword arguments a registered class takes (its ``__init__``
    and, through ``**kwargs``, its parents'); None when unknown or open."""
    import inspect
    if not isinstance(type_name, str):
        cls = type_name
    else:
        cls = None
        try:
            registry = importlib.import_module(f'{scope}.registry')
        except ImportError:
            return None
        for name in _REGISTRIES:
            found = getattr(registry, name, None)
            cls = found.get(type_name) if found is not None else None
            if cls is not None:
                break
    if not inspect.isclass(cls):
        return None
    accepted = set()
    for klass in cls.__mro__:
        if '__init__' not in vars(klass):
            continue
        params = inspect.signature(vars(klass)['__init__']).parameters
        accepted |= {
            n
            for n, p in params.items()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        } - {'self'}
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            return accepted
    return None
