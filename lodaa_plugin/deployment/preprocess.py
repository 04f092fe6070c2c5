# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The test pipeline's pre-processing in numpy and OpenCV: decode, resize,
normalise, pad; the same pixels as mmcv's ``imread``, mmdet's ``Resize`` and
``DetDataPreprocessor``."""
from typing import Dict, List, Tuple, Union

import cv2
import numpy as np


def read_image(path: str) -> np.ndarray:
    """Decode an image file to BGR uint8 as mmcv does (EXIF orientation
    applied).

    Args:
        path (str): The file.

    Returns:
        np.ndarray: (H, W, 3) BGR.

    Raises:
        ValueError: When the file is empty or cannot be decoded.
    """
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ValueError(f'{path}: empty or not a decodable image')
    return image


def resize(image: np.ndarray, scale: Tuple[int, int],
           keep_ratio: bool) -> Tuple[np.ndarray, Tuple[float, float]]:
    """mmdet's ``Resize``: to ``scale`` (w, h), or within it keeping the
    aspect ratio (mmcv's ``imrescale``), bilinear.

    Args:
        image (np.ndarray): (H, W, 3).
        scale (tuple[int, int]): (w, h) target, or the long and short side
            bounds with ``keep_ratio``.
        keep_ratio (bool): Keep the aspect ratio.

    Returns:
        tuple: The resized image and ``scale_factor`` (w, h).
    """
    h, w = image.shape[:2]
    if keep_ratio:
        long_edge, short_edge = max(scale), min(scale)
        factor = min(long_edge / max(h, w), short_edge / min(h, w))
        size = (int(w * factor + 0.5), int(h * factor + 0.5))
    else:
        size = (int(scale[0]), int(scale[1]))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    return resized, (size[0] / w, size[1] / h)


def preprocess(images: List[Union[str, np.ndarray]],
               cfg: Dict) -> Tuple[np.ndarray, List[Dict]]:
    """Turn images into one normalised, padded NCHW float32 batch.

    Args:
        images (list[str | np.ndarray]): Files or BGR uint8 arrays.
        cfg (dict): ``deploy.json``'s ``preprocess``.

    Returns:
        tuple: The batch and, per image, ``ori_shape``, ``img_shape``
        ((h, w)) and ``scale_factor`` ((w, h)).
    """
    mean = np.asarray(cfg['mean'], np.float32)
    std = np.asarray(cfg['std'], np.float32)
    resized, metas = [], []
    for image in images:
        if isinstance(image, str):
            image = read_image(image)
        out, factor = resize(image, cfg['resize']['scale'],
                             cfg['resize']['keep_ratio'])
        if cfg['bgr_to_rgb']:
            out = out[..., ::-1]
        resized.append((out.astype(np.float32) - mean) / std)
        metas.append(
            dict(
                ori_shape=image.shape[:2],
                img_shape=out.shape[:2],
                scale_factor=factor))
    divisor = cfg['pad_size_divisor']
    height = max(r.shape[0] for r in resized)
    width = max(r.shape[1] for r in resized)
    height = -(-height // divisor) * divisor
    width = -(-width // divisor) * divisor
    batch = np.zeros((len(resized), 3, height, width), np.float32)
    for i, r in enumerate(resized):
        batch[i, :, :r.shape[0], :r.shape[1]] = r.transpose(2, 0, 1)
    return batch, metas
