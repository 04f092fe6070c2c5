# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""``deploy.json``: what the runtime needs besides the network."""
import json
import os.path as osp
from typing import Any, Dict

DEPLOY_FILE = 'deploy.json'
# 2 added the end-to-end graph (``end2end``) and INT8 (``int8``); 1 is read
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
# keys a deploy.json must have, and what each holds
REQUIRED = {
    'format_version': 'version of this file layout',
    'classes': 'class names, in label order',
    'preprocess': 'resize, mean, std, bgr_to_rgb, pad_size_divisor',
    'strides': 'the head levels, finest first',
    'test_cfg': 'score_thr, nms_pre, min_bbox_size, nms_iou, max_per_img',
    'score_fusion': "'sqrt' or 'product' of class score and centerness",
    'models': 'backend name to the network file, relative to the folder',
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
    try:
        with open(path) as f:
            cfg = json.load(f)
    except json.JSONDecodeError as error:
        raise DeployConfigError(f'{path}: not JSON ({error})') from None
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise DeployConfigError(
            f'{path}: missing {", ".join(missing)} '
            f'({"; ".join(f"{k}: {REQUIRED[k]}" for k in missing)})')
    if cfg['format_version'] not in READABLE_VERSIONS:
        raise DeployConfigError(
            f'{path}: format_version {cfg["format_version"]}, this LODAA '
            f'reads {", ".join(map(str, READABLE_VERSIONS))}; export again')
    cfg.setdefault('end2end', {})
    for kind, files in (('network', cfg['models']), ('end-to-end graph',
                                                     cfg['end2end'])):
        for backend, name in files.items():
            if not osp.isfile(osp.join(export_dir, name)):
                raise DeployConfigError(
                    f'{path}: the {backend} {kind} {name} is missing from '
                    f'{export_dir}')
    return cfg
