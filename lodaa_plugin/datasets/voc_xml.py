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
import logging
import os.path as osp
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log
from PIL import Image

if TYPE_CHECKING:
    from .annotation_cache import AnnotationCache

DROP_UNKNOWN_CLASS = 'unknown class name'
DROP_EMPTY_BOX = 'empty or inverted box'
MAX_LISTED_ERRORS = 50


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
    """(width, height) from the image header, without decoding pixels."""
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
        img_path (str, optional): The image, read when ``<size>`` is missing
            or zero.

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
    """Class names from a ``classes.txt``: one a line, blank lines skipped.

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


@dataclass
class VOCSplit:
    """What :func:`load_voc_split` found for one image-id list."""
    # (image id, image path, annotation) of every usable image, in list order
    images: List[Tuple[str, str, VOCAnnotation]] = field(default_factory=list)
    # one message per unusable entry, naming its file and the problem
    errors: List[str] = field(default_factory=list)
    # reason -> objects dropped, and one file where it happened
    drops: Counter = field(default_factory=Counter)
    drop_examples: Dict[str, str] = field(default_factory=dict)

    def extend(self, other: 'VOCSplit') -> None:
        """Append another split's images, errors and drops to this one."""
        self.images += other.images
        self.errors += other.errors
        self.drops.update(other.drops)
        for reason, example in other.drop_examples.items():
            self.drop_examples.setdefault(reason, example)


def load_voc_split(ann_path: str,
                   year_root: str,
                   classes: Sequence[str],
                   img_subdir: str = 'JPEGImages',
                   ann_subdir: str = 'Annotations',
                   cache: Optional['AnnotationCache'] = None) -> VOCSplit:
    """Parse every image listed in a VOC ``ImageSets`` file.

    Args:
        ann_path (str): The id list, e.g. ``.../ImageSets/Main/test.txt``.
        year_root (str): The folder holding ``JPEGImages`` and
            ``Annotations`` (``.../VOC2007``).
        classes (Sequence[str]): Known class names.
        img_subdir (str): Image folder name.
        ann_subdir (str): Annotation folder name.
        cache (AnnotationCache, optional): Parsed files from earlier runs;
            a file is parsed again when its size or mtime changed.

    Returns:
        VOCSplit: Usable images, errors (duplicate ids, missing files,
        unusable XML) and dropped-object counts.
    """
    if not osp.isfile(ann_path):
        raise FileNotFoundError(
            f'{ann_path} does not exist. LODAA expects the VOC layout '
            '<data_root>/<year>/ImageSets/Main/<split>.txt with '
            f'{img_subdir}/ and {ann_subdir}/ beside ImageSets/.')
    with open(ann_path) as f:
        img_ids = [line.split()[0] for line in f if line.strip()]
    split = VOCSplit()
    for img_id, count in Counter(img_ids).items():
        if count > 1:
            split.errors.append(f'{ann_path}: id {img_id} listed {count} times')
    for img_id in dict.fromkeys(img_ids):
        img_path = osp.join(year_root, img_subdir, f'{img_id}.jpg')
        xml_path = osp.join(year_root, ann_subdir, f'{img_id}.xml')
        if not osp.isfile(img_path):
            split.errors.append(f'{img_path}: image file missing (id '
                                f'{img_id} in {ann_path})')
            continue
        if not osp.isfile(xml_path):
            split.errors.append(f'{xml_path}: annotation file missing (id '
                                f'{img_id} in {ann_path})')
            continue
        try:
            ann = cache.parse(xml_path, classes, img_path) if cache \
                else parse_voc_xml(xml_path, classes, img_path)
        except VOCAnnotationError as err:
            split.errors.append(str(err))
            continue
        for reason, n in ann.drops.items():
            split.drops[reason] += n
            split.drop_examples.setdefault(reason, xml_path)
        split.images.append((img_id, img_path, ann))
    return split


def report_problems(split: VOCSplit, classes: Sequence[str], where: str,
                    skip_invalid: bool) -> None:
    """Warn once per kind of dropped object; raise (or, with
    ``skip_invalid``, warn) listing every unusable entry.

    Args:
        split (VOCSplit): What :func:`load_voc_split` found.
        classes (Sequence[str]): Known classes, named for unknown ones.
        where (str): The dataset, for the messages.
        skip_invalid (bool): Skip unusable images instead of raising.
    """
    for reason, n in split.drops.items():
        hint = f' Known classes: {", ".join(classes)}.' \
            if reason == DROP_UNKNOWN_CLASS else ''
        print_log(
            f'{n} object(s) dropped: {reason} (e.g. in '
            f'{split.drop_examples[reason]}).{hint}',
            logger='current',
            level=logging.WARNING)
    errors = split.errors
    if not errors:
        return
    listed = '\n  '.join(errors[:MAX_LISTED_ERRORS])
    if len(errors) > MAX_LISTED_ERRORS:
        listed += f'\n  ... and {len(errors) - MAX_LISTED_ERRORS} more'
    if skip_invalid:
        print_log(
            f'skip_invalid=True: skipped {len(errors)} unusable entries:\n'
            f'  {listed}',
            logger='current',
            level=logging.WARNING)
        return
    raise VOCAnnotationError(
        f'{len(errors)} problem(s) in the dataset at {where}:\n  {listed}\n'
        'Fix them, or set skip_invalid=True in the dataset config to skip '
        'these images.')
