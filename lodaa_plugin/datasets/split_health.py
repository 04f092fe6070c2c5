# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Split health: the images a model trains on are not the ones it is scored
on, and each list holds what its name promises.

VOC's ``ImageSets/Main/{train,val,trainval,test}.txt``: two lists that must
share no image (``train``/``val``, ``train``/``test``, ``trainval``/``test``,
``val``/``test``) are compared by image id and, for a training list, by the
content of its image files (a copy under another name is the same image);
``trainval`` must hold every id of ``train`` and ``val``. COCO-JSON files in
one folder are matched by their names (``train`` against ``val`` and
``test``, ``val`` against ``test``) and compared by image file name and
content alike.
"""
import hashlib
import logging
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log

from .annotation_cache import default_cache_dir, read_cache, write_cache
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
    """Check a VOC ``ImageSets`` list against its sibling lists.

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

    def images(path: str) -> Dict[str, str]:
        return {i: image_path(i) for i in read_ids(path)}

    others = [b if a == name else a for a, b in DISJOINT if name in (a, b)]
    siblings = [(path, images(path))
                for path in (osp.join(folder, f'{o}.txt') for o in others)
                if osp.isfile(path)]
    own = images(list_path)
    if name == 'trainval':
        _warn_missing_parts(folder, list_path, set(own))
    check_disjoint(list_path, own, siblings, name in TRAINING, allow_overlap)


def coco_siblings(ann_file: str) -> List[str]:
    """Find the COCO files beside one that must share none of its images.

    Args:
        ann_file (str): A COCO JSON file, e.g. ``.../instances_train.json``.

    Returns:
        list[str]: The ``val`` and ``test`` files beside a ``train`` file,
        the ``test`` files beside a ``val`` one; none when its name says
        neither train, val nor test.
    """
    role = _coco_role(ann_file)
    held_out = dict(train=('val', 'test'), val=('test', ), test=('val', ))
    if role is None:
        return []
    folder = osp.dirname(ann_file) or '.'
    return [
        osp.join(folder, f) for f in sorted(os.listdir(folder))
        if f.endswith('.json') and _coco_role(f) in held_out[role]
    ]


def _coco_role(path: str) -> Optional[str]:
    stem = osp.splitext(osp.basename(path))[0].lower()
    stem = stem.replace('trainval', 'train')  # trained on
    roles = [r for r in ('train', 'val', 'test') if r in stem]
    return roles[0] if len(roles) == 1 else None


def check_disjoint(path: str,
                   images: Dict[str, str],
                   siblings: Sequence[Tuple[str, Dict[str, str]]],
                   training: bool,
                   allow_overlap: bool = False) -> None:
    """Refuse (or warn about) images shared with lists they must not be in.

    Args:
        path (str): The list or annotation file read.
        images (dict[str, str]): Its image keys (ids, file names) and files.
        siblings (Sequence[tuple[str, dict[str, str]]]): Each list that must
            share none of them, with its keys and files.
        training (bool): Whether ``path`` is trained on: then file contents
            are compared too.
        allow_overlap (bool): Warn instead of raising. Defaults to False.

    Raises:
        VOCAnnotationError: Naming both files, the count and examples.
    """
    problems = []
    # one digest cache for every sibling: read once, written once
    digests = _ImageDigests() if training else None
    for other_path, other in siblings:
        shared = sorted(set(images) & set(other))
        if shared:
            problems.append(f'{len(shared)} image(s) of {path} are also in '
                            f'{other_path}: {_examples(shared)}')
        if training:
            copies = _same_content(images, other, digests)
            if copies:
                pairs = [f'{a} = {b}' for a, b in copies]
                problems.append(
                    f'{len(copies)} image(s) of {path} are byte for byte '
                    f'images of {other_path} under another name: '
                    f'{_examples(pairs)}')
    if digests is not None:
        digests.save()
    if not problems:
        return
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


def _same_content(images: Dict[str, str], other: Dict[str, str],
                  digests: '_ImageDigests') -> List[Tuple[str, str]]:
    """(key, other key) pairs of different keys whose files are equal."""
    seen: Dict[str, str] = {}
    for key, path in other.items():
        digest = digests.get(path)
        if digest is not None:
            seen.setdefault(digest, key)
    copies = []
    for key, path in images.items():
        digest = digests.get(path)
        if digest in seen and seen[digest] != key:
            copies.append((key, seen[digest]))
    return copies


class _ImageDigests:
    """Content digests of image files, kept between runs by path, size and
    modification time (a leak check, so an unchanged stat is trusted)."""

    def __init__(self) -> None:
        self.path = osp.join(default_cache_dir(), 'image-digests.json')
        self.entries: Dict[str, list] = read_cache(self.path)
        self.changed = False

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
        """Write the digests if any were computed."""
        if self.changed:
            write_cache(self.entries, self.path)
