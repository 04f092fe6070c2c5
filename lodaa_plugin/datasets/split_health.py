# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Split health: the images a model trains on are not the ones it is scored
on, and each list holds what its name promises.

The lists are VOC's ``ImageSets/Main/{train,val,trainval,test}.txt``. Two
lists that must share no image (``train``/``val``, ``train``/``test``,
``trainval``/``test``, ``val``/``test``) are compared by image id and, for a
training list, by the content of its image files (a copy under another
name is the same image). ``trainval`` must hold every id of ``train`` and
``val``.
"""
import hashlib
import json
import logging
import os
import os.path as osp
from typing import Callable, Dict, List, Sequence, Tuple

from mmengine.logging import print_log

from ..utils import atomic_write_bytes
from .annotation_cache import default_cache_dir
from .voc_xml import VOCAnnotationError

# pairs of list names that must share no image
DISJOINT = (('train', 'val'), ('train', 'test'), ('trainval', 'test'),
            ('val', 'test'))
TRAINING = ('train', 'trainval')
EXAMPLES = 5


def read_ids(path: str) -> List[str]:
    """Read the image ids of an ``ImageSets`` list (the first word a line).

    Args:
        path (str): The list file.

    Returns:
        list[str]: The ids, in file order.
    """
    # utf-8-sig: a byte-order mark would otherwise join the first id
    with open(path, encoding='utf-8-sig') as f:
        return [line.split()[0] for line in f if line.strip()]


def check_split_health(list_path: str,
                       image_path: Callable[[str], str],
                       allow_overlap: bool = False) -> None:
    """Check one list against its sibling lists in the same folder.

    Args:
        list_path (str): The list the dataset reads, e.g.
            ``.../ImageSets/Main/trainval.txt``.
        image_path (Callable[[str], str]): Image file of an id.
        allow_overlap (bool): Warn about images shared with a list that
            must be disjoint from this one, instead of raising. Defaults to
            False.

    Raises:
        VOCAnnotationError: When this list shares images (by id or, for a
            training list, by file content) with a list it must be disjoint
            from, naming both files, the count and examples.
    """
    if not osp.isfile(list_path):
        return  # the loader names the missing list and the layout
    folder, name = osp.split(list_path)
    name = osp.splitext(name)[0]
    ids = read_ids(list_path)
    problems = []
    for other, other_ids in _disjoint_siblings(folder, name):
        other_path = osp.join(folder, f'{other}.txt')
        shared = sorted(set(ids) & set(other_ids))
        if shared:
            problems.append(f'{len(shared)} image id(s) of {list_path} are '
                            f'also in {other_path}: {_examples(shared)}')
        if name in TRAINING:
            copies = _same_content(ids, other_ids, image_path)
            if copies:
                pairs = [f'{a} = {b}' for a, b in copies]
                problems.append(
                    f'{len(copies)} image(s) of {list_path} are byte for '
                    f'byte images of {other_path} under another id: '
                    f'{_examples(pairs)}')
    if name == 'trainval':
        _warn_missing_parts(folder, list_path, set(ids))
    if problems:
        text = '\n  '.join(problems)
        if not allow_overlap:
            raise VOCAnnotationError(
                f'training and held-out images overlap:\n  {text}\nA model '
                'scored on images it trained on reports inflated numbers. '
                'Fix the lists, or set allow_split_overlap=True in the '
                'dataset config to go on (with a warning).')
        print_log(
            f'allow_split_overlap=True: training and held-out images '
            f'overlap:\n  {text}',
            logger='current',
            level=logging.WARNING)


def _disjoint_siblings(folder: str, name: str) -> List[Tuple[str, List[str]]]:
    """The lists beside ``name`` that must share none of its images."""
    others = [b if a == name else a for a, b in DISJOINT if name in (a, b)]
    return [(other, read_ids(osp.join(folder, f'{other}.txt')))
            for other in others
            if osp.isfile(osp.join(folder, f'{other}.txt'))]


def _warn_missing_parts(folder: str, list_path: str, ids: set) -> None:
    """Warn when ``trainval`` lacks ids of ``train`` or ``val``."""
    for part in ('train', 'val'):
        part_path = osp.join(folder, f'{part}.txt')
        if not osp.isfile(part_path):
            continue
        part_ids = read_ids(part_path)
        missing = sorted(set(part_ids) - ids)
        if missing:
            print_log(
                f'{list_path} ({len(ids)} ids) lacks {len(missing)} of the '
                f'{len(part_ids)} ids of {part_path}: trainval should be '
                f'train + val, so training on it uses less data than its '
                f'name says (e.g. {_examples(missing)})',
                logger='current',
                level=logging.WARNING)


def _examples(items: Sequence[str]) -> str:
    shown = ', '.join(items[:EXAMPLES])
    return shown + (f', ... ({len(items) - EXAMPLES} more)'
                    if len(items) > EXAMPLES else '')


def _same_content(ids: Sequence[str], other_ids: Sequence[str],
                  image_path: Callable[[str], str]) -> List[Tuple[str, str]]:
    """(id, other id) pairs of different ids whose image files are equal."""
    digests = _ImageDigests()
    seen: Dict[str, str] = {}
    for img_id in other_ids:
        digest = digests.get(image_path(img_id))
        if digest is not None:
            seen.setdefault(digest, img_id)
    copies = []
    for img_id in ids:
        digest = digests.get(image_path(img_id))
        if digest in seen and seen[digest] != img_id:
            copies.append((img_id, seen[digest]))
    digests.save()
    return copies


class _ImageDigests:
    """Content digests of image files, kept between runs by path, size and
    modification time (a leak check, so an unchanged stat is trusted)."""

    def __init__(self) -> None:
        self.path = osp.join(default_cache_dir(), 'image-digests.json')
        self.entries: Dict[str, list] = {}
        self.changed = False
        try:
            with open(self.path, encoding='utf-8') as f:
                self.entries = json.load(f)
        except (OSError, ValueError):
            pass  # no cache yet, or unreadable: only a slower check

    def get(self, path: str):
        """Return the file's digest, or None when it cannot be read."""
        path = osp.abspath(path)
        try:
            stat = os.stat(path)
        except OSError:
            return None  # a missing image is reported by the loader
        key = [stat.st_size, stat.st_mtime_ns]
        entry = self.entries.get(path)
        if entry is not None and entry[:2] == key:
            return entry[2]
        with open(path, 'rb') as f:
            digest = hashlib.blake2b(f.read(), digest_size=16).hexdigest()
        self.entries[path] = key + [digest]
        self.changed = True
        return digest

    def save(self) -> None:
        """Write the digests if any were computed; a failure only warns."""
        if not self.changed:
            return
        try:
            atomic_write_bytes(
                json.dumps(self.entries).encode('utf-8'), self.path)
        except OSError as err:
            print_log(
                f'cannot write the image digest cache {self.path}: {err}',
                logger='current',
                level=logging.WARNING)
