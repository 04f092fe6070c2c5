# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Image loading that names the file when it cannot be used.

EXIF orientation: images are decoded with it applied, as mmcv's cv2 decoding
does. When the annotation's size matches the stored (unrotated) pixels
instead, as with annotation tools that ignore EXIF (the VOC devkit's MATLAB
``imread`` among them), the stored orientation is used and a warning names
the file: the boxes were drawn on those pixels.
"""
import io
import logging
import warnings
from typing import Optional, Tuple

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS
from PIL import Image

JPEG_START, JPEG_END = b'\xff\xd8', b'\xff\xd9'
JPEG_START_OF_SCAN = b'\xff\xda'
PNG_START, PNG_END = b'\x89PNG\r\n\x1a\n', b'IEND'
# PIL's warning threshold (about 9,459 x 9,459 pixels)
DEFAULT_MAX_PIXELS = 89_478_485


class ImageLoadError(ValueError):
    """An image file that cannot be used; the message names it."""


def check_image_bytes(data: bytes, path: str) -> None:
    """Reject empty and truncated JPEG / PNG data by their markers.

    Decoders accept a truncated JPEG silently (the missing rows come out
    grey), so the end-of-image marker after the last scan is checked; bytes
    after it (phones append some) are fine. The format is read from the
    content, not the file name.

    Args:
        data (bytes): The file's content.
        path (str): The file, for the message.
    """
    if not data:
        raise ImageLoadError(f'{path}: empty file (0 bytes)')
    if data.startswith(JPEG_START):
        # entropy-coded data never holds 0xFFD9 (bytes are stuffed)
        last_scan = data.rfind(JPEG_START_OF_SCAN)
        if last_scan < 0 or data.find(JPEG_END, last_scan) < 0:
            raise ImageLoadError(
                f'{path}: truncated JPEG (no end-of-image marker after the '
                'image data)')
    if data.startswith(PNG_START) and data.rfind(PNG_END) < data.rfind(
            b'IDAT'):
        raise ImageLoadError(f'{path}: truncated PNG (no IEND chunk)')


def header_size(data: bytes) -> Optional[Tuple[int, int]]:
    """Read (width, height) from an image header without decoding pixels.

    Args:
        data (bytes): The file's content.

    Returns:
        tuple[int, int] or None: The size, or None if PIL does not know the
        format (the decoder then decides).
    """
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(io.BytesIO(data)) as img:
                return img.size
        except Exception:  # not PIL's business: cv2 may still decode it
            return None
        finally:
            Image.MAX_IMAGE_PIXELS = limit


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
            size = header_size(data)
            if size is not None and size[0] * size[1] > self.max_pixels:
                raise ImageLoadError(
                    f'{path}: {size[0]} x {size[1]} pixels, more than '
                    f'max_pixels={self.max_pixels:,} (set max_pixels of '
                    'LodaaLoadImageFromFile to allow it)')
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
