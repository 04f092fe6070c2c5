# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Image loading that names the file when it cannot be used.

EXIF orientation: images are decoded with it applied, as mmcv's cv2 decoding
does. When the annotation's size matches the stored (unrotated) pixels
instead, as with annotation tools that ignore EXIF (the VOC devkit's MATLAB
``imread`` among them), the stored orientation is used and a warning names
the file: the boxes were drawn on those pixels.
"""
import logging
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS

from ...image_bytes import (DEFAULT_MAX_PIXELS, ImageLoadError,
                            check_image_bytes, check_pixel_limit)


@TRANSFORMS.register_module()
class LodaaLoadImageFromFile(LoadImageFromFile):
    """:class:`mmcv.transforms.LoadImageFromFile` with clear errors.

    Grayscale, CMYK, 16-bit and PNG-behind-a-``.jpg`` images are decoded
    by content and converted to 8-bit, 3-channel BGR. An empty, truncated,
    undecodable or too large file, or one whose size disagrees with its
    annotation (``width`` / ``height`` of the data info), raises
    :class:`ImageLoadError` naming it; with ``skip_invalid=True`` it is
    skipped instead (the dataset then draws another training image), logged
    and counted in :attr:`skipped`.

    Args:
        skip_invalid (bool): Skip unusable images instead of raising. Defaults
            to False.
        max_pixels (int): Largest width x height decoded; the header is read
            first, so a decompression bomb costs nothing. Defaults to
            89,478,485 (PIL's threshold).
        **kwargs: Everything :class:`LoadImageFromFile` accepts.
    """

    def __init__(self,
                 skip_invalid: bool = False,
                 max_pixels: int = DEFAULT_MAX_PIXELS,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.skip_invalid = skip_invalid
        self.max_pixels = max_pixels
        self.skipped = 0

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']`` into ``results['img']``."""
        path = results['img_path']
        try:
            try:
                data = fileio.get(path, backend_args=self.backend_args)
            except OSError as err:
                raise ImageLoadError(f'{path}: cannot be read ({err})')
            check_image_bytes(data, path)
            check_pixel_limit(data, path, self.max_pixels)
            img = self._decode(data, path, self.color_type)
            img = self._match_annotation(img, data, results)
        except ImageLoadError as err:
            if not self.skip_invalid:
                raise
            self.skipped += 1
            print_log(
                f'skipped image {self.skipped}: {err}',
                logger='current',
                level=logging.WARNING)
            return None
        if img.dtype != np.uint8:  # 16-bit data kept by some decoders
            img = (img / 257).astype(np.uint8) if img.dtype == np.uint16 \
                else img.astype(np.uint8)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _decode(self, data: bytes, path: str, flag: str) -> np.ndarray:
        """Decode with mmcv, turning every decoder failure into an error
        that names the file."""
        try:
            img = mmcv.imfrombytes(
                data, flag=flag, backend=self.imdecode_backend)
        except Exception as err:  # decoders raise many types
            raise ImageLoadError(f'{path}: cannot be decoded ({err})')
        if img is None or img.size == 0:
            raise ImageLoadError(
                f'{path}: not a decodable image (format not recognised)')
        return img

    def _match_annotation(self, img: np.ndarray, data: bytes,
                          results: dict) -> np.ndarray:
        """Check the decoded size against the annotation's, if it has one.

        Args:
            img (np.ndarray): The decoded image.
            data (bytes): The file's content, to decode again.
            results (dict): The data info; ``width`` and ``height`` are the
                annotation's.

        Returns:
            np.ndarray: The image whose size the annotation describes.
        """
        width, height = results.get('width'), results.get('height')
        if not width or not height or img.shape[:2] == (height, width):
            return img
        path = results['img_path']
        found = f'{img.shape[1]} x {img.shape[0]}'
        if img.shape[:2] == (width, height) and self.color_type == 'color':
            stored = self._decode(data, path, 'color_ignore_orientation')
            if stored.shape[:2] == (height, width):
                print_log(
                    f'{path}: EXIF orientation makes it {found}, but its '
                    f'annotation is {width} x {height}, the stored '
                    'orientation: using the stored pixels the boxes were '
                    'drawn on.',
                    logger='current',
                    level=logging.WARNING)
                return stored
        raise ImageLoadError(
            f'{path}: decoded {found} pixels, but its annotation says '
            f'{width} x {height}; the boxes would fall on other pixels. Fix '
            'the image or the <size> of its annotation.')
