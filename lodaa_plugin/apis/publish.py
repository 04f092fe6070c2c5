# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Turn a training checkpoint into a file to share: weights and meta only."""
import hashlib
import io
import os
import os.path as osp
from typing import Any

import numpy as np
import torch
from mmengine.runner.checkpoint import _load_checkpoint

from ..utils import atomic_write_bytes
from ..utils.output_paths import input_overwritten

# what a published checkpoint keeps of mmengine's
KEPT_KEYS = ('meta', 'state_dict')


def _plain(value: Any) -> Any:
    """Replace numpy scalars and arrays by Python numbers and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def publish_checkpoint(src: str, out: str) -> str:
    """Write ``src``'s weights and meta to ``<out stem>-<sha256[:8]>.pth``.

    The optimizer, the schedulers and the message hub are dropped, and meta
    holds plain Python values, so the file loads with a bare
    ``torch.load(path)`` (``weights_only=True``) on torch >= 2.6, without
    LODAA or an allow-list. The name carries the first 8 hex digits of the
    file's SHA-256, as mmdet's ``publish_model.py`` names its files.

    Args:
        src (str): A checkpoint written by training.
        out (str): The published file's path; ``.pth`` is added if missing.

    Returns:
        str: The path written.
    """
    checkpoint = _load_checkpoint(src, map_location='cpu')
    if 'state_dict' not in checkpoint:
        raise ValueError(f'{src}: no state_dict, not a training checkpoint')
    kept = {k: _plain(checkpoint[k]) for k in KEPT_KEYS if k in checkpoint}
    kept['state_dict'] = {
        k: v.detach().cpu()
        for k, v in checkpoint['state_dict'].items()
    }
    buffer = io.BytesIO()
    torch.save(kept, buffer)
    data = buffer.getvalue()
    stem = out[:-4] if out.endswith('.pth') else out
    path = f'{stem}-{hashlib.sha256(data).hexdigest()[:8]}.pth'
    if input_overwritten(path, [src]):
        # published before under this name: the training state would go
        raise ValueError(f'{path} is the input {src}; name another output')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    atomic_write_bytes(data, path)
    return path
