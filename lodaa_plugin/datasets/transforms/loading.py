# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Image loading that names the file when it cannot be used."""
import logging
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS

JPEG_START, JPEG_END = b'\xff\xd8', b'\xff\xd9'
PNG_START, PNG_END = b'\x89PNG\r\n\x1a\n', b'IEND'


class ImageLoadError(ValueError):
    """An image file that cannot be used; the message names it."""


def check_image_bytes(data: bytes, path: str) -> None:
    """Reject empty and truncated JPEG / PNG data by their markers.

    Decoders accept a truncated JPEG silently (the missing rows come out
    grey), so its end-of-image marker is checked. The format is read from
    the content, not the file name.

    Args:
        data (bytes): The file's content.
        path (str): The file, for the message.
    """
    if not data:
        raise ImageLoadError(f'{path}: empty file (0 bytes)')
    tail = data[-32:].rstrip(b'\x00\r\n ')
    if data.startswith(JPEG_START) and not tail.endswith(JPEG_END):
        raise ImageLoadError(
            f'{path}: truncated JPEG (no end-of-image marker)')
    if data.startswith(PNG_START) and PNG_END not in data[-16:]:
        raise ImageLoadError(f'{path}: truncated PNG (no IEND chunk)')


@TRANSFORMS.register_module()
class LodaaLoadImageFromFile(LoadImageFromFile):
    """:class:`mmcv.transforms.LoadImageFromFile` with clear errors.

    Grayscale, CMYK, 16-bit and PNG-behind-a-``.jpg`` images are decoded
    by content and converted to 8-bit, 3-channel BGR. An empty, truncated or
    undecodable file raises :class:`ImageLoadError` naming it; with
    ``skip_invalid=True`` it is skipped instead (the dataset then draws
    another training image), logged and counted in :attr:`skipped`.

    Args:
        skip_invalid (bool): Skip unusable images instead of raising. Defaults
            to False.
        **kwargs: Everything :class:`LoadImageFromFile` accepts.
    """

    def __init__(self, skip_invalid: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.skip_invalid = skip_invalid
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
            try:
                img = mmcv.imfrombytes(
                    data, flag=self.color_type, backend=self.imdecode_backend)
            except Exception as err:  # decoders raise many types
                raise ImageLoadError(f'{path}: cannot be decoded ({err})')
            if img is None or img.size == 0:
                raise ImageLoadError(
                    f'{path}: not a decodable image (format not recognised)')
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
