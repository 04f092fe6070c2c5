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
import math
import os.path as osp
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple
from xml.parsers import expat

from ..image_bytes import read_header_size

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
    # names of the objects dropped as unknown classes, with their counts
    unknown_names: Dict[str, int] = field(default_factory=dict)
    # the file had no usable <size>; width and height are the image's
    size_from_image: bool = False


class VOCAnnotationError(ValueError):
    """An annotation file that cannot be used; the message names the file."""


# <difficult> values, lower-cased; anything else is an error
DIFFICULT_VALUES = {
    '0': False,
    '1': True,
    'false': False,
    'true': True,
    'no': False,
    'yes': True
}


class _Tree:
    """An XML file as ElementTree elements with their line numbers.

    Tags lose any namespace prefix (``voc:object``) and default namespaces
    are ignored, so ``<annotation xmlns="...">`` files read like any other.
    """

    def __init__(self, data: bytes) -> None:
        builder = ET.TreeBuilder()
        self.lines: Dict[int, int] = {}
        parser = expat.ParserCreate()

        def start(tag: str, attrs: dict) -> None:
            element = builder.start(tag.rsplit(':', 1)[-1], attrs)
            self.lines[id(element)] = parser.CurrentLineNumber

        parser.StartElementHandler = start
        parser.EndElementHandler = \
            lambda tag: builder.end(tag.rsplit(':', 1)[-1])
        parser.CharacterDataHandler = builder.data
        parser.Parse(data, True)
        self.root = builder.close()

    def line(self, element: ET.Element) -> int:
        """Return the line an element starts on."""
        return self.lines.get(id(element), 0)


def _text(element: ET.Element, tag: str) -> Optional[str]:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip()


def _finite(text: Optional[str]) -> Optional[float]:
    """Parse a finite number; None for anything else."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def parse_voc_xml(xml_path: str,
                  classes: Sequence[str],
                  img_path: Optional[str] = None,
                  data: Optional[bytes] = None) -> VOCAnnotation:
    """Parse one VOC annotation file.

    Coordinates follow the VOC devkit: 1-based inclusive pixels in the file,
    returned 0-based (``x - 1``) as mmdet does, clipped to the image. Every
    value LODAA uses is parsed strictly: a coordinate or size that is not a
    finite number, or a ``<difficult>`` other than 0/1/true/false/yes/no, is
    an error naming the file, line and value.

    Args:
        xml_path (str): The annotation file.
        classes (Sequence[str]): Known class names; others are dropped.
        img_path (str, optional): The image, read when ``<size>`` is missing or
            zero. Defaults to None.
        data (bytes, optional): The file's content, if already read.
            Defaults to None.

    Returns:
        VOCAnnotation: Size, kept objects and counts of dropped objects.

    Raises:
        VOCAnnotationError: The file is not usable; the message names the
            file and every problem found in it.
    """
    try:
        if data is None:
            with open(xml_path, 'rb') as f:
                data = f.read()
        tree = _Tree(data)
    except expat.ExpatError as err:
        raise VOCAnnotationError(
            f'{xml_path}:{err.lineno}: not well-formed XML ({err})')
    except OSError as err:
        raise VOCAnnotationError(f'{xml_path}: cannot be read ({err})')
    root = tree.root

    problems = []
    width = height = 0
    size = root.find('size')
    if size is not None:
        for tag in ('width', 'height'):
            text = _text(size, tag)
            value = _finite(text or 0)
            if value is None or value < 0 or value != int(value):
                element = size.find(tag)
                problems.append(
                    f'line {tree.line(element)}: <size><{tag}> is {text!r}, '
                    'not a whole number of pixels')
            elif tag == 'width':
                width = int(value)
            else:
                height = int(value)
        if problems:
            raise VOCAnnotationError(f'{xml_path}: ' + '; '.join(problems))
    if width <= 0 or height <= 0:
        if img_path is None or not osp.isfile(img_path):
            raise VOCAnnotationError(
                f'{xml_path}: no usable <size> and no image to read it from '
                f'({img_path})')
        try:
            # any size: the image loader holds it to its max_pixels and
            # names the file, as for an image whose <size> is given
            width, height = read_header_size(img_path)
        except OSError as err:
            raise VOCAnnotationError(
                f'{xml_path}: no usable <size>, and the image {img_path} '
                f'cannot be read ({err})')
        from_image = True
    else:
        from_image = False

    ann = VOCAnnotation(
        xml_path=xml_path,
        width=width,
        height=height,
        size_from_image=from_image)
    known = set(classes)
    for index, obj in enumerate(root.findall('object')):
        name = _text(obj, 'name')
        box = obj.find('bndbox')
        where = f'line {tree.line(obj)}: object {index}' + (f' ({name})'
                                                            if name else '')
        if not name:
            problems.append(f'{where}: no <name>')
            continue
        if box is None:
            problems.append(f'{where}: no <bndbox>')
            continue
        coords = []
        for tag in ('xmin', 'ymin', 'xmax', 'ymax'):
            value = _text(box, tag)
            number = _finite(value)
            if number is None:
                problems.append(f'{where}: <{tag}> is {value!r}, not a '
                                'finite number')
            coords.append(number)
        flag = _text(obj, 'difficult')
        difficult = DIFFICULT_VALUES.get((flag or '0').lower())
        if difficult is None:
            problems.append(f'{where}: <difficult> is {flag!r}; expected 0 '
                            'or 1 (or true/false, yes/no)')
        if None in coords or difficult is None:
            continue
        if name not in known:
            ann.drops[DROP_UNKNOWN_CLASS] = \
                ann.drops.get(DROP_UNKNOWN_CLASS, 0) + 1
            ann.unknown_names[name] = ann.unknown_names.get(name, 0) + 1
            continue
        x1, y1, x2, y2 = (c - 1 for c in coords)
        x1, x2 = max(x1, 0.), min(x2, width - 1.)
        y1, y2 = max(y1, 0.), min(y2, height - 1.)
        if x2 <= x1 or y2 <= y1:
            ann.drops[DROP_EMPTY_BOX] = ann.drops.get(DROP_EMPTY_BOX, 0) + 1
            continue
        ann.objects.append(
            VOCObject(name=name, bbox=(x1, y1, x2, y2), difficult=difficult))
    if problems:
        raise VOCAnnotationError(f'{xml_path}: ' + '; '.join(problems))
    return ann
