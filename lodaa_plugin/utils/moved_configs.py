# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Configs that moved when ``configs/`` took mmdet's layout (one folder per
algorithm): a command naming the old path still runs, and says where the
config went."""
import os.path as osp
import warnings

# old path below configs/ -> new path below configs/
MOVED_CONFIGS = {
    'fcos_synthetic_demo.py':
    'demo/fcos_synthetic_demo.py',
    'classification/simple_cnn_voc07.py':
    'simple_cnn/simple-cnn_1xb64-30e_voc07-64px.py',
    'classification/resnet18_linear_probe_voc07.py':
    'resnet18/resnet18_linear-probe_1xb64-50e_voc07.py',
    'classification/resnet18_finetune_voc07.py':
    'resnet18/resnet18_finetune_1xb256-50e_voc07.py',
    'classification/simple_cnn_synthetic_demo.py':
    'demo/simple_cnn_synthetic_demo.py',
    'classification/resnet18_synthetic_demo.py':
    'demo/resnet18_synthetic_demo.py',
    'classification/resnet18_probe_synthetic_demo.py':
    'demo/resnet18_probe_synthetic_demo.py',
}


def resolve_moved_config(path: str) -> str:
    """Return where a moved config is now, warning; other paths unchanged.

    Args:
        path (str): A config path as the user typed it.

    Returns:
        str: ``path`` itself when it exists or is not a moved config, else
        the same checkout's new path.
    """
    if osp.isfile(path):
        return path
    parts = osp.normpath(path).split(osp.sep)
    if 'configs' not in parts:
        return path
    at = len(parts) - 1 - parts[::-1].index('configs')
    old = '/'.join(parts[at + 1:])
    if old not in MOVED_CONFIGS:
        return path
    new = osp.join(*parts[:at + 1], *MOVED_CONFIGS[old].split('/'))
    if path.startswith(osp.sep):
        new = osp.sep + new.lstrip(osp.sep)
    if not osp.isfile(new):
        return path
    warnings.warn(f'{path} moved to {new}: reading that one (the old name '
                  'keeps working for now; please use the new one)')
    return new
