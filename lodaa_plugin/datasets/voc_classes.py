# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Where a VOC-layout dataset's class names come from, for detection and
classification alike: ``metainfo=dict(classes=...)``, else a
``classes.txt`` beside the data, else the dataset's own (VOC's 20)."""
import os.path as osp
from typing import Optional, Sequence, Tuple


def resolve_classes(metainfo: Optional[dict], data_root: str,
                    sub_roots: Sequence[str]) -> dict:
    """Fill a dataset's ``metainfo`` with the classes it will use.

    Args:
        metainfo (dict, optional): The dataset's ``metainfo`` argument.
        data_root (str): The dataset root.
        sub_roots (Sequence[str]): Year folders below the root, searched
            for ``classes.txt`` before the root.

    Returns:
        dict: A copy of ``metainfo`` whose ``classes`` are checked, or read
        from a ``classes.txt``; without either, no ``classes`` (the
        dataset's default).
    """
    metainfo = dict(metainfo or {})
    if 'classes' in metainfo:
        metainfo['classes'] = check_class_names(metainfo['classes'],
                                                'metainfo.classes')
        return metainfo
    classes_file = find_classes_file(data_root, sub_roots)
    if classes_file is not None:
        metainfo['classes'] = read_classes_file(classes_file)
    return metainfo


def find_classes_file(data_root: str,
                      sub_roots: Sequence[str]) -> Optional[str]:
    """Find the ``classes.txt`` of a dataset: in a year folder, else the
    root.

    Args:
        data_root (str): The dataset root (``.../VOCdevkit/``).
        sub_roots (Sequence[str]): Year folders relative to the root.

    Returns:
        str or None: The first ``classes.txt`` found.
    """
    for folder in [osp.join(data_root, s) for s in sub_roots] + [data_root]:
        path = osp.join(folder, 'classes.txt')
        if osp.isfile(path):
            return path
    return None


def read_classes_file(path: str) -> Tuple[str, ...]:
    """Read class names from a ``classes.txt``: one a line, blank lines
    skipped.

    Args:
        path (str): The file.

    Returns:
        tuple[str]: The class names in file order.
    """
    # utf-8-sig: a byte-order mark would otherwise join the first name
    with open(path, encoding='utf-8-sig') as f:
        names = tuple(line.strip() for line in f if line.strip())
    return check_class_names(names, path)


def check_class_names(names: Sequence[str], where: str) -> Tuple[str, ...]:
    """Refuse an empty class list, blank names and duplicates.

    Args:
        names (Sequence[str]): Class names.
        where (str): Where they come from, for the message.

    Returns:
        tuple[str]: The names.
    """
    if isinstance(names, str):
        raise ValueError(f'{where}: classes must be a list of names, got the '
                         f'string {names!r} (write ({names!r}, ))')
    names = tuple(names)
    if not names:
        raise ValueError(f'{where}: no class names')
    blank = [i for i, n in enumerate(names) if not str(n).strip()]
    if blank:
        raise ValueError(f'{where}: blank class name at position {blank[0]}')
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f'{where}: duplicate class names {repeated}: each '
                         'class needs one name, and each name one label')
    return names
