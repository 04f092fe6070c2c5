# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""``deploy.json``: what the runtime needs besides the network."""
import os.path as osp
from typing import Any, Dict

from ..json_files import read_json
from .runtime import weights_file

DEPLOY_FILE = 'deploy.json'
# the layout of this file and the graphs' interfaces; a folder of another
# version is refused (export again)
FORMAT_VERSION = 3
# keys a deploy.json must have, and what each holds
REQUIRED = {
    'format_version': 'version of this file layout',
    'classes': 'class names, in label order',
    'preprocess': 'resize, mean, std, bgr_to_rgb, pad_size_divisor',
    'strides': 'the head levels, finest first',
    'test_cfg': 'score_thr, nms_pre, min_bbox_size, nms_iou, max_per_img',
    'score_fusion': "'sqrt' or 'product' of class score and centerness",
    'models': 'backend name to the network file, relative to the folder',
    'end2end': 'backend name to the end-to-end graph file',
    'input': "'fixed' [H, W] or 'dynamic'",
}


class DeployConfigError(ValueError):
    """An export folder that the runtime cannot use."""


def load_deploy_config(export_dir: str) -> Dict[str, Any]:
    """Read and check an export folder's ``deploy.json``.

    Args:
        export_dir (str): The folder ``tools/deployment/export.py`` wrote.

    Returns:
        dict: The settings.

    Raises:
        DeployConfigError: Naming the folder or file and what is wrong.
    """
    path = osp.join(export_dir, DEPLOY_FILE)
    if not osp.isdir(export_dir):
        raise DeployConfigError(f'{export_dir}: no such export folder')
    if not osp.isfile(path):
        raise DeployConfigError(
            f'{export_dir}: no {DEPLOY_FILE}; write one with '
            'tools/deployment/export.py CONFIG CHECKPOINT --out DIR')
    cfg = read_json(path, DeployConfigError)
    if not isinstance(cfg, dict):
        raise DeployConfigError(
            f'{path}: a JSON object is expected, not {type(cfg).__name__}')
    # another layout's keys would be reported as missing: the version first
    version = cfg.get('format_version')
    if not _number(version):
        raise DeployConfigError(
            f'{path}: format_version must be the number {FORMAT_VERSION}, '
            f'not {version!r} ({type(version).__name__})')
    if version != FORMAT_VERSION:
        raise DeployConfigError(
            f'{path}: format_version {version!r} is unknown, this LODAA '
            f'reads {FORMAT_VERSION}; export again')
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise DeployConfigError(
            f'{path}: missing {", ".join(missing)} '
            f'({"; ".join(f"{k}: {REQUIRED[k]}" for k in missing)})')
    problems = _structure_problems(cfg)
    if problems:
        raise DeployConfigError(f'{path}: ' + '; '.join(problems) +
                                ' (export again, or fix the file)')
    for kind, files in (('network', cfg['models']), ('end-to-end graph',
                                                     cfg['end2end'])):
        for backend, name in files.items():
            for needed in (name, weights_file(name)):
                if needed and not osp.isfile(osp.join(export_dir, needed)):
                    raise DeployConfigError(
                        f'{path}: the {backend} {kind} {needed} is missing '
                        f'from {export_dir}')
    return cfg


def _number(value, positive: bool = False) -> bool:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return ok and (value > 0 if positive else True)


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _structure_problems(cfg: Dict[str, Any]) -> list:
    """Every nested value the runtime reads, checked for kind and range."""
    problems = []
    classes = cfg['classes']
    if not (isinstance(classes, list) and classes
            and all(isinstance(c, str) and c for c in classes)):
        problems.append('classes must be a non-empty list of names')
    elif len(set(classes)) != len(classes):
        problems.append('classes has duplicate names')
    pre = cfg['preprocess']
    resize = pre.get('resize') if isinstance(pre, dict) else None
    if not isinstance(resize, dict) or not (
            isinstance(resize.get('scale'), list) and len(resize['scale']) == 2
            and all(_number(v, True) for v in resize['scale'])
            and isinstance(resize.get('keep_ratio'), bool)):
        problems.append('preprocess.resize must be {"scale": [w, h], '
                        '"keep_ratio": true|false}')
    if isinstance(pre, dict):
        for key, positive in (('mean', False), ('std', True)):
            values = pre.get(key)
            if not (isinstance(values, list) and len(values) == 3
                    and all(_number(v, positive) for v in values)):
                problems.append(f'preprocess.{key} must be 3 numbers' +
                                (' above 0' if positive else ''))
        if not isinstance(pre.get('bgr_to_rgb'), bool):
            problems.append('preprocess.bgr_to_rgb must be true or false')
        if not (isinstance(pre.get('pad_size_divisor'), int)
                and pre['pad_size_divisor'] >= 1):
            problems.append('preprocess.pad_size_divisor must be an integer '
                            '>= 1')
        if 'max_pixels' in pre and not _is_positive_int(pre['max_pixels']):
            problems.append('preprocess.max_pixels must be a positive '
                            'integer')
    else:
        problems.append('preprocess must be an object')
    strides = cfg['strides']
    if not (isinstance(strides, list) and strides
            and all(isinstance(s, int) and s > 0 for s in strides)):
        problems.append('strides must be a non-empty list of positive '
                        'integers')
    test_cfg = cfg['test_cfg']
    keys = ('score_thr', 'nms_pre', 'min_bbox_size', 'nms_iou', 'max_per_img')
    if not isinstance(test_cfg, dict) or not all(
            _number(test_cfg.get(k)) for k in keys):
        problems.append(f'test_cfg must hold numbers {", ".join(keys)}')
    for key in ('models', 'end2end'):
        files = cfg[key]
        if not (isinstance(files, dict)
                and all(isinstance(v, str) and v for v in files.values())):
            problems.append(f'{key} must be an object from backend name to '
                            'a file name')
    shape = cfg['input']
    if shape != 'dynamic' and not (isinstance(shape, list) and len(shape) == 2
                                   and all(_is_positive_int(v)
                                           for v in shape)):
        problems.append(f"input {shape!r} is not 'dynamic' nor [H, W]")
    if cfg['score_fusion'] not in ('sqrt', 'product'):
        problems.append(f'score_fusion {cfg["score_fusion"]!r} is not '
                        "'sqrt' or 'product'")
    return problems
