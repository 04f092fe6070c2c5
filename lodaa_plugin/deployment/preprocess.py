# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The test pipeline's pre-processing in numpy and OpenCV, for the runtime,
the INT8 calibration and the export's checks: decode, resize and pad, the
same pixels as mmcv's ``imread``, mmdet's ``Resize`` and the padding of
``DetDataPreprocessor``. Both exported graphs take these uint8 pixels and
normalise them themselves (:func:`~.end_to_end.normalise`)."""
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Sequence, Tuple, Union

import cv2
import numpy as np

from ..image_bytes import (DEFAULT_MAX_PIXELS, ImageLoadError,
                           check_image_bytes, check_pixel_limit)


def read_image(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode an image file to BGR uint8 as mmcv does (EXIF orientation
    applied; grayscale, 16-bit and CMYK converted), with the test pipeline's
    refusals
    (:class:`~lodaa_plugin.datasets.transforms.LodaaLoadImageFromFile`).

    Args:
        path (str): The file.
        max_pixels (int): Largest width x height decoded, read from the
            header first. Defaults to the pipeline's default.

    Returns:
        np.ndarray: (H, W, 3) BGR.

    Raises:
        ImageLoadError: Naming the file: unreadable, empty, truncated, over
            ``max_pixels`` or not decodable.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as error:
        raise ImageLoadError(f'{path}: cannot be read ({error})') from None
    check_image_bytes(data, path)
    check_pixel_limit(data, path, max_pixels)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or not image.size:
        raise ImageLoadError(
            f'{path}: not a decodable image (format not recognised)')
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


def padded_size(height: int, width: int, divisor: int) -> Tuple[int, int]:
    """Height and width rounded up to a multiple of ``divisor``, as the
    data preprocessor pads.

    Args:
        height (int): Rows.
        width (int): Columns.
        divisor (int): ``pad_size_divisor``.

    Returns:
        tuple[int, int]: The padded (height, width).
    """
    return -(-height // divisor) * divisor, -(-width // divisor) * divisor


def read_images(images: Sequence[Union[str, os.PathLike, np.ndarray]],
                threads: int = 1,
                max_pixels: int = DEFAULT_MAX_PIXELS) -> List[np.ndarray]:
    """Decode image files (arrays pass through), in parallel threads
    (OpenCV's decoder releases the GIL).

    Args:
        images (Sequence[str | os.PathLike | np.ndarray]): Files or BGR
            uint8 arrays.
        threads (int): Decoding threads. Defaults to 1.
        max_pixels (int): See :func:`read_image`.

    Returns:
        list[np.ndarray]: BGR uint8 images.
    """

    def one(image):
        # a pathlib.Path reads as its str, as in the eager pipeline
        if isinstance(image, (str, os.PathLike)):
            return read_image(os.fspath(image), max_pixels)
        if not isinstance(image, np.ndarray):
            raise TypeError('an image is a file path or a BGR uint8 array, '
                            f'not {type(image).__name__}')
        return image

    if threads <= 1 or len(images) < 2:
        return [one(image) for image in images]
    with ThreadPoolExecutor(min(threads, len(images))) as pool:
        return list(pool.map(one, images))


def preprocess(images: Sequence[Union[str, np.ndarray]],
               cfg: Dict,
               threads: int = 1) -> Tuple[np.ndarray, List[Dict]]:
    """Decode, resize and pad images into one uint8 BGR NCHW batch, as the
    exported graphs take it.

    Args:
        images (Sequence[str | np.ndarray]): Files or BGR uint8 arrays.
        cfg (dict): ``deploy.json``'s ``preprocess``.
        threads (int): Decoding threads. Defaults to 1.

    Returns:
        tuple: The batch, padded with zeros at the bottom and right to a
        multiple of ``pad_size_divisor``, and per image ``ori_shape``,
        ``img_shape`` ((h, w)) and ``scale_factor`` ((w, h)).
    """
    resized, metas = [], []
    limit = cfg.get('max_pixels', DEFAULT_MAX_PIXELS)
    for image in read_images(images, threads, limit):
        out, factor = resize(image, cfg['resize']['scale'],
                             cfg['resize']['keep_ratio'])
        resized.append(out)
        metas.append(
            dict(
                ori_shape=image.shape[:2],
                img_shape=out.shape[:2],
                scale_factor=factor))
    height, width = padded_size(
        max(r.shape[0] for r in resized), max(r.shape[1] for r in resized),
        cfg['pad_size_divisor'])
    batch = np.zeros((len(resized), 3, height, width), np.uint8)
    for i, r in enumerate(resized):
        batch[i, :, :r.shape[0], :r.shape[1]] = r.transpose(2, 0, 1)
    return batch, metas


def graph_inputs(images: Sequence[Union[str, np.ndarray]],
                 cfg: Dict,
                 threads: int = 1) -> Tuple[Dict[str, np.ndarray], List[Dict]]:
    """The exported graphs' inputs for some images (the network-only graph
    takes the first two).

    Args:
        images (Sequence[str | np.ndarray]): Files or BGR uint8 arrays.
        cfg (dict): ``deploy.json``'s ``preprocess``.
        threads (int): Decoding threads. Defaults to 1.

    Returns:
        tuple: ``images``, ``img_shapes`` and ``scale_factors`` by name, and
        the per-image metas of :func:`preprocess`.
    """
    pixels, metas = preprocess(images, cfg, threads)
    return dict(
        images=pixels,
        img_shapes=np.asarray([m['img_shape'] for m in metas], np.float32),
        scale_factors=np.asarray([m['scale_factor'] for m in metas],
                                 np.float32)), metas
