# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A video's frame size from its container's header, read before any
decoder runs: a 12000 x 12000 video of a few megabytes would otherwise take
gigabytes of memory before its size can be refused. Reads MP4 / MOV (the
``tkhd`` box of each track) and AVI (the ``avih`` header); needs no
OpenMMLab package nor OpenCV."""
import struct
from typing import BinaryIO, Optional, Tuple

# boxes that hold the track headers
_MP4_CONTAINERS = {b'moov', b'trak'}
_MP4_KINDS = {b'ftyp', b'moov', b'mdat', b'free', b'skip', b'wide', b'pnot'}


def video_header_size(path: str) -> Optional[Tuple[int, int]]:
    """Read (width, height) from an MP4 / MOV or AVI header.

    Args:
        path (str): The video file.

    Returns:
        tuple[int, int] or None: The largest track's size; None for other
        containers or a header that does not say (the decoder's reported
        size is then checked before the first frame).
    """
    try:
        with open(path, 'rb') as f:
            start = f.read(12)
            f.seek(0)
            if start[:4] == b'RIFF' and start[8:12] == b'AVI ':
                return _avi_size(f)
            if start[4:8] in _MP4_KINDS:
                size = _mp4_size(f, 0, _file_end(f))
                return size if size and size[0] * size[1] else None
    except (OSError, struct.error):
        return None
    return None


def _file_end(f: BinaryIO) -> int:
    f.seek(0, 2)
    end = f.tell()
    f.seek(0)
    return end


def _mp4_size(f: BinaryIO, start: int, end: int) -> Optional[Tuple[int, int]]:
    """The largest ``tkhd`` width x height among the boxes in
    ``[start, end)``."""
    best = None
    offset = start
    while offset + 8 <= end:
        f.seek(offset)
        size, kind = struct.unpack('>I4s', f.read(8))
        header = 8
        if size == 1:
            size = struct.unpack('>Q', f.read(8))[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header:
            return best
        if kind in _MP4_CONTAINERS:
            found = _mp4_size(f, offset + header, offset + size)
        elif kind == b'tkhd':
            found = _tkhd_size(f.read(min(size - header, 100)))
        else:
            found = None
        if found and (best is None or found[0] * found[1] > best[0] * best[1]):
            best = found
        offset += size
    return best


def _tkhd_size(data: bytes) -> Optional[Tuple[int, int]]:
    # version 1 has 64-bit times and duration: the size sits 12 bytes later
    at = 4 + (84 if data[:1] == b'\x01' else 72)
    if len(data) < at + 8:
        return None
    width, height = struct.unpack('>II', data[at:at + 8])
    return width >> 16, height >> 16  # 16.16 fixed point


def _avi_size(f: BinaryIO) -> Optional[Tuple[int, int]]:
    f.seek(12)
    # RIFF 'AVI ' then LIST 'hdrl', whose first chunk is 'avih'
    head = f.read(12 + 8 + 40)
    if head[:4] != b'LIST' or head[8:12] != b'hdrl' or head[12:16] != b'avih':
        return None
    width, height = struct.unpack('<II', head[20 + 32:20 + 40])
    return (width, height) if width and height else None
