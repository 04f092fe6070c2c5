# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A cache of parsed VOC annotation files, invalidated per file.

Parsing the 16,551 XML files of VOC07+12 trainval at every start is slow
(measured in the README). The cache keeps each file's parse result with the
file's size and modification time; a later run stats the files (fast) and
re-parses only those that changed. It lives outside the dataset folder
(which may be read-only), in ``$LODAA_CACHE_DIR`` or ``~/.cache/lodaa``.
"""
import hashlib
import logging
import os
import os.path as osp
import pickle
from typing import Dict, Optional, Sequence, Tuple

from mmengine.logging import print_log

from ..utils import atomic_write_bytes
from .voc_xml import VOCAnnotation, VOCAnnotationError, parse_voc_xml

CACHE_VERSION = 1


def default_cache_dir() -> str:
    """Return ``$LODAA_CACHE_DIR``, else ``~/.cache/lodaa``."""
    return os.environ.get('LODAA_CACHE_DIR') or osp.join(
        osp.expanduser('~'), '.cache', 'lodaa')


class AnnotationCache:
    """Parsed annotations of one dataset folder and class list.

    Args:
        year_root (str): The folder whose ``Annotations`` are cached.
        classes (Sequence[str]): Class names (they decide what is dropped).
        cache_dir (str, optional): Where cache files go. Defaults to None.
    """

    def __init__(self,
                 year_root: str,
                 classes: Sequence[str],
                 cache_dir: Optional[str] = None) -> None:
        key = repr((CACHE_VERSION, osp.abspath(year_root), tuple(classes)))
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        self.path = osp.join(cache_dir or default_cache_dir(),
                             f'voc-annotations-{digest}.pkl')
        self.entries: Dict[str, Tuple[int, int, object]] = {}
        self.hits = self.misses = 0
        if osp.isfile(self.path):
            try:
                with open(self.path, 'rb') as f:
                    self.entries = pickle.load(f)
            except Exception as err:  # a damaged cache is only a slow start
                print_log(
                    f'ignoring unreadable cache {self.path}: {err}',
                    logger='current',
                    level=logging.WARNING)

    def parse(self, xml_path: str, classes: Sequence[str],
              img_path: Optional[str]) -> VOCAnnotation:
        """Parse with :func:`parse_voc_xml`, or take the cached result of an
        unchanged file.

        Errors are cached too and raised again.
        """
        stat = os.stat(xml_path)
        entry = self.entries.get(xml_path)
        if entry is not None and entry[:2] == (stat.st_size, stat.st_mtime_ns):
            self.hits += 1
            result = entry[2]
        else:
            self.misses += 1
            try:
                result = parse_voc_xml(xml_path, classes, img_path)
            except VOCAnnotationError as err:
                result = err
            self.entries[xml_path] = (stat.st_size, stat.st_mtime_ns, result)
        if isinstance(result, VOCAnnotationError):
            raise result
        return result

    def save(self) -> None:
        """Write the cache if anything was parsed; warn if it cannot."""
        if not self.misses:
            return
        try:
            atomic_write_bytes(
                pickle.dumps(self.entries, protocol=pickle.HIGHEST_PROTOCOL),
                self.path)
        except OSError as err:
            print_log(
                f'cannot write the annotation cache {self.path}: {err}',
                logger='current',
                level=logging.WARNING)
