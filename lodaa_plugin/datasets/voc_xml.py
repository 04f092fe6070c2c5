# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""PASCAL VOC annotation parsing as found in the wild.

One parser serves detection and classification. It accepts XML tags in any
order, float coordinates, a missing ``<size>`` (read from the image header),
extra elements (``<part>``, ``<actions>``), and keeps ``difficult`` flags. It
separates two kinds of trouble:

- *drops*: an object that cannot be used but leaves the file sound (unknown
  class, box empty or inverted after clipping to the image). The object is
  dropped and counted; the dataset reports the counts with one example file.
- *errors*: the file itself is unusable (not well-formed XML, an object with no
  ``<name>`` or ``<bndbox>``, a non-numeric coordinate, no size anywhere).
  The dataset lists every error with its file, or skips and counts the image
  when the user opted in.
"""
import os.path as osp
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from PIL import Image

DROP_UNKNOWN_CLASS = 'unknown class name'
DROP_EMPTY_BOX = 'empty or inverted box'


@dataclass
class VOCObject:
    """One annotated object, in 0-based pixel coordinates (x1, y1, x2, y2)."""
    name: str
    bbox: Tuple[float, float, float, float]
    difficult: bool


@dataclass
class VOCAnnotation:
    """The parsed content of one annotation file."""
    xml_path: str
    width: int
    height: int
    objects: List[VOCObject] = field(default_factory=list)
    # reason -> how many objects of this file were dropped for it
    drops: Dict[str, int] = field(default_factory=dict)


class VOCAnnotationError(ValueError):
    """An annotation file that cannot be used; the message names the file."""


def _text(element: ET.Element, tag: str) -> Optional[str]:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip()


def _image_size(img_path: str) -> Tuple[int, int]:
    """Read (width, height) from the image header, without decoding."""
    with Image.open(img_path) as img:
        return img.size


def parse_voc_xml(xml_path: str,
                  classes: Sequence[str],
                  img_path: Optional[str] = None) -> VOCAnnotation:
    """Parse one VOC annotation file.

    Coordinates follow the VOC devkit: 1-based inclusive pixels in the file,
    returned 0-based (``x - 1``) as mmdet does, clipped to the image.

    Args:
        xml_path (str): The annotation file.
        classes (Sequence[str]): Known class names; others are dropped.
        img_path (str, optional): The image, read when ``<size>`` is missing or
            zero. Defaults to None.

    Returns:
        VOCAnnotation: Size, kept objects and counts of dropped objects.

    Raises:
        VOCAnnotationError: The file is not usable; the message names the
            file and every problem found in it.
    """
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as err:
        raise VOCAnnotationError(f'{xml_path}: not well-formed XML ({err})')
    except OSError as err:
        raise VOCAnnotationError(f'{xml_path}: cannot be read ({err})')

    problems = []
    width = height = 0
    size = root.find('size')
    if size is not None:
        try:
            width = int(float(_text(size, 'width') or 0))
            height = int(float(_text(size, 'height') or 0))
        except ValueError:
            width = height = 0
    if width <= 0 or height <= 0:
        if img_path is None or not osp.isfile(img_path):
            raise VOCAnnotationError(
                f'{xml_path}: no usable <size> and no image to read it from '
                f'({img_path})')
        try:
            width, height = _image_size(img_path)
        except OSError as err:
            raise VOCAnnotationError(
                f'{xml_path}: no usable <size>, and the image {img_path} '
                f'cannot be read ({err})')

    ann = VOCAnnotation(xml_path=xml_path, width=width, height=height)
    known = set(classes)
    for index, obj in enumerate(root.findall('object')):
        name = _text(obj, 'name')
        box = obj.find('bndbox')
        where = f'object {index}' + (f' ({name})' if name else '')
        if not name:
            problems.append(f'{where}: no <name>')
            continue
        if box is None:
            problems.append(f'{where}: no <bndbox>')
            continue
        coords = []
        for tag in ('xmin', 'ymin', 'xmax', 'ymax'):
            value = _text(box, tag)
            try:
                coords.append(float(value))
            except (TypeError, ValueError):
                problems.append(f'{where}: <{tag}> is {value!r}, not a number')
        if len(coords) < 4:
            continue
        if name not in known:
            ann.drops[DROP_UNKNOWN_CLASS] = \
                ann.drops.get(DROP_UNKNOWN_CLASS, 0) + 1
            continue
        x1, y1, x2, y2 = (c - 1 for c in coords)
        x1, x2 = max(x1, 0.), min(x2, width - 1.)
        y1, y2 = max(y1, 0.), min(y2, height - 1.)
        if x2 <= x1 or y2 <= y1:
            ann.drops[DROP_EMPTY_BOX] = ann.drops.get(DROP_EMPTY_BOX, 0) + 1
            continue
        difficult = _text(obj, 'difficult')
        ann.objects.append(
            VOCObject(
                name=name,
                bbox=(x1, y1, x2, y2),
                difficult=difficult not in (None, '', '0')))
    if problems:
        raise VOCAnnotationError(f'{xml_path}: ' + '; '.join(problems))
    return ann


def read_classes_file(path: str) -> Tuple[str, ...]:
    """Read class names from a ``classes.txt``: one a line, blank lines
    skipped.

    Args:
        path (str): The file.

    Returns:
        tuple[str]: The class names in file order.
    """
    with open(path, encoding='utf-8') as f:
        names = tuple(line.strip() for line in f if line.strip())
    if not names:
        raise ValueError(f'{path}: no class names in it')
    if len(set(names)) != len(names):
        raise ValueError(f'{path}: duplicate class names')
    return names
