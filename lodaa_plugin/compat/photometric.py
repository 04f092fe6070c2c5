# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""``mmcv.adjust_hue`` for numpy 2.

mmcv 2.1.0 shifts the hue channel with ``np.uint8(hue_factor * 255)``; numpy 2
raises ``OverflowError`` for a negative value, which mmpretrain's ColorJitter
draws about half the time. The shift is the same modulo 256.
"""
from typing import Optional

import cv2
import numpy as np
from PIL import Image

from .once import apply_once


def _hue_shift(hue_factor: float) -> np.uint8:
    # int() truncates toward zero like the old C cast did; % wraps negatives.
    return np.uint8(int(hue_factor * 255) % 256)


def adjust_hue(img: np.ndarray,
               hue_factor: float,
               backend: Optional[str] = None) -> np.ndarray:
    """Shift the hue of a BGR image, as :func:`mmcv.adjust_hue`.

    Args:
        img (np.ndarray): Image, (H, W) or (H, W, 3), BGR.
        hue_factor (float): Shift in [-0.5, 0.5] of a full hue turn.
        backend (str, optional): ``'cv2'`` or ``'pillow'``; mmcv's global image
            backend when None. Defaults to None.

    Returns:
        np.ndarray: The hue-shifted image, same dtype as ``img``.
    """
    import mmcv.image.photometric as photometric
    if backend is None:
        backend = photometric.imread_backend
    if backend not in ['cv2', 'pillow']:
        raise ValueError(f'backend: {backend} is not supported.'
                         f"Supported backends are 'cv2', 'pillow'")
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and (img.ndim in {2, 3})):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    shift = _hue_shift(hue_factor)
    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        h, s, v = pil_image.convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over='ignore'):
            np_h += shift
        pil_image = Image.merge(
            'HSV', (Image.fromarray(np_h, 'L'), s, v)).convert('RGB')
        return np.array(pil_image, dtype=img.dtype)[..., ::-1]
    dtype = img.dtype
    hsv_img = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    h, s, v = cv2.split(hsv_img)
    with np.errstate(over='ignore'):
        h += shift
    hsv_img = cv2.merge([h, s, v])
    return cv2.cvtColor(hsv_img, cv2.COLOR_HSV2BGR_FULL).astype(dtype)


@apply_once
def patch_adjust_hue() -> bool:
    """Install :func:`adjust_hue` everywhere mmcv exposes it.

    Returns:
        bool: True if this call installed it.
    """
    import mmcv
    import mmcv.image
    import mmcv.image.photometric
    for module in (mmcv, mmcv.image, mmcv.image.photometric):
        module.adjust_hue = adjust_hue
    return True
