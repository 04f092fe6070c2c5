# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Read a VOC ``ImageSets`` list: every image, its annotation, its problems."""
import logging
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log

from .annotation_cache import AnnotationCache
from .split_health import read_ids
from .voc_xml import (DROP_UNKNOWN_CLASS, VOCAnnotation, VOCAnnotationError,
                      parse_voc_xml)

MAX_LISTED_ERRORS = 50


@dataclass
class VOCSplit:
    """What :func:`load_voc_split` found for one image-id list."""
    # (image id, image path, annotation) of every usable image, in list order
    images: List[Tuple[str, str, VOCAnnotation]] = field(default_factory=list)
    # one message per unusable entry, naming its file and the problem
    errors: List[str] = field(default_factory=list)
    # reason -> objects dropped, and one file where it happened
    drops: Counter = field(default_factory=Counter)
    # class names of the objects dropped as unknown, with their counts
    unknown_names: Counter = field(default_factory=Counter)
    drop_examples: Dict[str, str] = field(default_factory=dict)

    def extend(self, other: 'VOCSplit') -> None:
        """Append another split's images, errors and drops to this one."""
        self.images += other.images
        self.errors += other.errors
        self.drops.update(other.drops)
        self.unknown_names.update(other.unknown_names)
        for reason, example in other.drop_examples.items():
            self.drop_examples.setdefault(reason, example)


def load_voc_split(ann_path: str,
                   year_root: str,
                   classes: Sequence[str],
                   img_subdir: str = 'JPEGImages',
                   ann_subdir: str = 'Annotations',
                   cache: Optional[AnnotationCache] = None) -> VOCSplit:
    """Parse every image listed in a VOC ``ImageSets`` file.

    Args:
        ann_path (str): The id list, e.g. ``.../ImageSets/Main/test.txt``.
        year_root (str): The folder holding ``JPEGImages`` and
            ``Annotations`` (``.../VOC2007``).
        classes (Sequence[str]): Known class names.
        img_subdir (str): Image folder name. Defaults to ``'JPEGImages'``.
        ann_subdir (str): Annotation folder name. Defaults to
            ``'Annotations'``.
        cache (AnnotationCache, optional): Parsed files from earlier runs; a
            file is parsed again when its content's digest changed.
            Defaults to None.

    Returns:
        VOCSplit: Usable images, errors (duplicate ids, missing files,
        unusable XML) and dropped-object counts.
    """
    if not osp.isfile(ann_path):
        raise FileNotFoundError(
            f'{ann_path} does not exist. LODAA expects the VOC layout '
            '<data_root>/<year>/ImageSets/Main/<split>.txt with '
            f'{img_subdir}/ and {ann_subdir}/ beside ImageSets/.')
    img_ids = read_ids(ann_path)
    split = VOCSplit()
    for img_id, count in Counter(img_ids).items():
        if count > 1:
            split.errors.append(
                f'{ann_path}: id {img_id} listed {count} times')
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
        split.unknown_names.update(ann.unknown_names)
        split.images.append((img_id, img_path, ann))
    return split


def unknown_names_text(split: VOCSplit, most: int = 10) -> str:
    """Describe the unknown class names of a split, most frequent first.

    Args:
        split (VOCSplit): What :func:`load_voc_split` found.
        most (int): Names listed at most. Defaults to 10.

    Returns:
        str: E.g. ``"cellbody" x 412, "cel" x 2``.
    """
    names = split.unknown_names.most_common()
    text = ', '.join(f'"{name}" x {n}' for name, n in names[:most])
    return text + (f', ... ({len(names) - most} more)'
                   if len(names) > most else '')


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
        hint = f' Names: {unknown_names_text(split)}; known classes: ' \
            f'{", ".join(classes)}.' if reason == DROP_UNKNOWN_CLASS else ''
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
