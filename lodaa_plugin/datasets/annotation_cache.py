# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A cache of parsed VOC annotation files, invalidated per file.

Parsing the 16,551 XML files of VOC07+12 trainval at every start is slow
(docs/benchmarks.md has the timings). The cache keeps each file's parse
result with a digest of its content; a later run reads and hashes the files
(fast) and re-parses only those whose content changed. It lives outside
the dataset folder (which may be read-only), in ``$LODAA_CACHE_DIR`` or
``~/.cache/lodaa``.
"""
import dataclasses
import hashlib
import json
import logging
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

from mmengine.logging import print_log

from ..utils import atomic_write_bytes
from .voc_xml import (VOCAnnotation, VOCAnnotationError, VOCObject,
                      parse_voc_xml)

CACHE_VERSION = 3


def default_cache_dir() -> str:
    """Return ``$LODAA_CACHE_DIR``, else ``~/.cache/lodaa``."""
    return os.environ.get('LODAA_CACHE_DIR') or osp.join(
        osp.expanduser('~'), '.cache', 'lodaa')


class AnnotationCache:
    """Parsed annotations of one dataset folder and class list.

    An entry is used only for a file whose content is byte for byte the one
    it was parsed from (a BLAKE2 digest): an edit that keeps size and
    modification time (``cp -p``, ``rsync -a``) is seen. Errors and files
    whose size came from the image are never cached. The cache is JSON, so
    reading it runs no code.

    Args:
        year_root (str): The folder whose ``Annotations`` are cached.
        classes (Sequence[str]): Class names (they decide what is dropped).
        cache_dir (str, optional): Where cache files go; ``$LODAA_CACHE_DIR``
            or ``~/.cache/lodaa`` when None. Defaults to None.
    """

    def __init__(self,
                 year_root: str,
                 classes: Sequence[str],
                 cache_dir: Optional[str] = None) -> None:
        key = repr((CACHE_VERSION, osp.abspath(year_root), tuple(classes)))
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        self.path = osp.join(cache_dir or default_cache_dir(),
                             f'voc-annotations-{digest}.json')
        self.entries: Dict[str, Tuple[str, dict]] = read_cache(self.path)
        self.hits = self.misses = 0

    def parse(self, xml_path: str, classes: Sequence[str],
              img_path: Optional[str]) -> VOCAnnotation:
        """Parse with :func:`parse_voc_xml`, or take the cached result of a
        file with the same content.

        Args:
            xml_path (str): The annotation file.
            classes (Sequence[str]): Known class names.
            img_path (str, optional): The image, for a missing ``<size>``.

        Returns:
            VOCAnnotation: The parsed file.
        """
        try:
            with open(xml_path, 'rb') as f:
                data = f.read()
        except OSError as err:
            raise VOCAnnotationError(f'{xml_path}: cannot be read ({err})')
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        entry = self.entries.get(xml_path)
        if entry is not None and entry[0] == digest:
            self.hits += 1
            return _annotation_from_dict(entry[1])
        self.misses += 1
        self.entries.pop(xml_path, None)
        ann = parse_voc_xml(xml_path, classes, img_path, data=data)
        if not ann.size_from_image:
            self.entries[xml_path] = (digest, dataclasses.asdict(ann))
        return ann

    def save(self) -> None:
        """Write the cache if anything was parsed; warn if it cannot."""
        if self.misses:
            write_cache(self.entries, self.path)


def read_cache(path: str) -> dict:
    """Read a JSON cache; a missing or unreadable one is empty (an
    unreadable one is named: only a slower start).

    Args:
        path (str): The cache file.

    Returns:
        dict: Its entries.
    """
    if not osp.isfile(path):
        return {}
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        print_log(
            f'ignoring unreadable cache {path}: {err}',
            logger='current',
            level=logging.WARNING)
        return {}


def write_cache(entries: dict, path: str) -> None:
    """Write a JSON cache atomically; a failure only warns.

    Args:
        entries (dict): What to keep.
        path (str): The cache file.
    """
    try:
        atomic_write_bytes(json.dumps(entries).encode('utf-8'), path)
    except OSError as err:
        print_log(
            f'cannot write the cache {path}: {err}',
            logger='current',
            level=logging.WARNING)


def _annotation_from_dict(entry: dict) -> VOCAnnotation:
    """Rebuild a :class:`VOCAnnotation` from its JSON form."""
    entry = dict(entry)
    entry['objects'] = [
        VOCObject(
            name=o['name'], bbox=tuple(o['bbox']), difficult=o['difficult'])
        for o in entry['objects']
    ]
    return VOCAnnotation(**entry)
