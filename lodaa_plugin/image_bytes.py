# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""What an image file's bytes say before it is decoded: empty or truncated
data, and the pixel size from the header (a decompression bomb costs
nothing). Shared by the training pipeline's loader and the deployment
runtime, so both refuse the same files; needs no OpenMMLab package.
"""
import io
import warnings
from typing import BinaryIO, Optional, Tuple, Union

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


def read_header_size(source: Union[str, BinaryIO]) -> Tuple[int, int]:
    """Read (width, height) from an image file's header, whatever its size.

    PIL's own decompression-bomb guard is off here: only the header is read,
    and the caller holds the size to its pixel limit with a message that
    names the file (PIL's names none).

    Args:
        source (str | file): The image's path or an open binary file.

    Returns:
        tuple[int, int]: The size.

    Raises:
        OSError: PIL cannot read or identify the file.
    """
    from PIL import Image
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(source) as img:
                return img.size
        finally:
            Image.MAX_IMAGE_PIXELS = limit


def header_size(data: bytes) -> Optional[Tuple[int, int]]:
    """Read (width, height) from an image header without decoding pixels.

    Args:
        data (bytes): The file's content.

    Returns:
        tuple[int, int] or None: The size, or None if PIL does not know the
        format (the decoder then decides).
    """
    try:
        return read_header_size(io.BytesIO(data))
    except ImportError:  # the runtime without Pillow: the decoder decides
        return None
    except Exception:  # not PIL's business: cv2 may still decode it
        return None


def check_pixel_limit(data: bytes, path: str, max_pixels: int) -> None:
    """Refuse an image whose header declares more than ``max_pixels``.

    Args:
        data (bytes): The file's content.
        path (str): The file, for the message.
        max_pixels (int): Largest width x height allowed.

    Raises:
        ImageLoadError: Naming the file, its size and the limit.
    """
    size = header_size(data)
    if size is not None and size[0] * size[1] > max_pixels:
        raise ImageLoadError(
            f'{path}: {size[0]} x {size[1]} pixels, more than '
            f'max_pixels={max_pixels:,} (set max_pixels of '
            'LodaaLoadImageFromFile to allow it)')
