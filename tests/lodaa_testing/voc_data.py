# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Small VOC-layout trees made from real sample files, for tests and
benchmarks."""
import os
import os.path as osp
import shutil
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from typing import Callable, Sequence, Tuple

from .paths import VOC07_ROOT


def make_voc_subset(root: str,
                    ids: Sequence[str],
                    split: str = 'four.txt',
                    voc_root: str = VOC07_ROOT) -> str:
    """Write a VOC2007 root whose ``split`` lists some images of another.

    ``Annotations``, ``JPEGImages`` and ``test.txt`` are links to
    ``voc_root``'s.

    Args:
        root (str): Where the new ``VOCdevkit/VOC2007`` goes.
        ids (Sequence[str]): Image ids to list.
        split (str): Name of the new list. Defaults to ``'four.txt'``.
        voc_root (str): A ``VOCdevkit`` folder holding ``VOC2007``.
            Defaults to the VOC2007 sample in ``tests/data``.

    Returns:
        str: The new ``VOCdevkit/`` root, with a trailing slash.
    """
    year = osp.join(str(root), 'VOCdevkit', 'VOC2007')
    main = osp.join(year, 'ImageSets', 'Main')
    os.makedirs(main)
    for sub in ('Annotations', 'JPEGImages'):
        os.symlink(osp.join(voc_root, 'VOC2007', sub), osp.join(year, sub))
    with open(osp.join(main, split), 'w') as f:
        f.write('\n'.join(ids) + '\n')
    os.symlink(
        osp.join(voc_root, 'VOC2007', 'ImageSets', 'Main', 'test.txt'),
        osp.join(main, 'test.txt'))
    return osp.join(str(root), 'VOCdevkit') + '/'


def copy_voc_files(root: str,
                   ids: Sequence[str] = ('000005', '000007'),
                   voc_root: str = VOC07_ROOT) -> Tuple[str, Path]:
    """Copy some images and annotations of a VOC2007 tree to edit them.

    ``ImageSets/Main/all.txt`` lists the copied ids.

    Args:
        root (str): Where ``VOCdevkit/VOC2007`` is written.
        ids (Sequence[str]): Image ids. Defaults to two VOC2007 samples.
        voc_root (str): The ``VOCdevkit`` to copy from. Defaults to the
            VOC2007 sample in ``tests/data``.

    Returns:
        tuple[str, Path]: The new ``VOCdevkit`` folder and its ``VOC2007``.
    """
    year = osp.join(str(root), 'VOCdevkit', 'VOC2007')
    for sub in ('Annotations', 'JPEGImages', osp.join('ImageSets', 'Main')):
        os.makedirs(osp.join(year, sub))
    src = osp.join(voc_root, 'VOC2007')
    for i in ids:
        shutil.copy(
            osp.join(src, 'Annotations', f'{i}.xml'),
            osp.join(year, 'Annotations'))
        shutil.copy(
            osp.join(src, 'JPEGImages', f'{i}.jpg'),
            osp.join(year, 'JPEGImages'))
    with open(osp.join(year, 'ImageSets', 'Main', 'all.txt'), 'w') as f:
        f.write('\n'.join(ids))
    return osp.join(str(root), 'VOCdevkit'), Path(year)


def edit_xml(path: str, edit: Callable[[ET.Element], None]) -> None:
    """Apply ``edit`` to an XML file's root element and write it back.

    Args:
        path (str): The XML file.
        edit (Callable): Changes the root element in place.
    """
    tree = ET.parse(path)
    edit(tree.getroot())
    tree.write(path)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` over a few bytes of
    data: what a decompression bomb looks like to a header reader.

    Args:
        width (int): Declared width.
        height (int): Declared height.

    Returns:
        bytes: The file's content (under 100 bytes).
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack('>I', len(body)) + kind + body + struct.pack(
            '>I', zlib.crc32(kind + body))

    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) +
            chunk(b'IDAT', zlib.compress(b'\x00' * 64)) + chunk(b'IEND', b''))
