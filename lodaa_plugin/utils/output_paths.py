# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""What a tool may write: never one of its inputs, and into a folder that
exists (made, and said so, when it does not)."""
import os
import os.path as osp
from typing import Iterable, List, Optional, Tuple


def _keys(path: str) -> set:
    """What identifies the file a path names: its resolved path, and its
    device and inode when it exists (a hard link, a mount, another
    spelling)."""
    keys = {osp.realpath(path)}
    try:
        stat = os.stat(path)
        keys.add((stat.st_dev, stat.st_ino))
    except OSError:  # not there (yet): its path alone
        pass
    return keys


def input_overwritten(out: str, inputs: Iterable[Optional[str]]) -> \
        Optional[str]:
    """The first input that writing ``out`` would replace, if any.

    Args:
        out (str): The file a tool is asked to write.
        inputs (Iterable[str | None]): The files it reads (None skipped).

    Returns:
        str or None: That input.
    """
    found = overwritten_inputs([out], inputs)
    return found[0][1] if found else None


def overwritten_inputs(
        outs: Iterable[str],
        inputs: Iterable[Optional[str]]) -> List[Tuple[str, str]]:
    """The outputs that would replace an input, with that input.

    Args:
        outs (Iterable[str]): The files a tool is to write.
        inputs (Iterable[str | None]): The files it reads (None skipped).

    Returns:
        list[tuple[str, str]]: (output, input) pairs.
    """
    by_key = {}
    for path in inputs:
        if path:
            for key in _keys(str(path)):
                by_key.setdefault(key, str(path))
    found = []
    for out in outs:
        hit = next((by_key[k] for k in _keys(out) if k in by_key), None)
        if hit is not None:
            found.append((out, hit))
    return found


def make_parent(out: str) -> Optional[str]:
    """Create the folder a file is to be written in.

    Args:
        out (str): The file.

    Returns:
        str or None: The folder, when it had to be made.

    Raises:
        NotADirectoryError: Naming the path in the way, when it is a file.
    """
    folder = osp.dirname(osp.abspath(out))
    if osp.isdir(folder):
        return None
    if osp.exists(folder):
        raise NotADirectoryError(
            f'{out}: cannot be written, {folder} is a file, not a folder')
    os.makedirs(folder, exist_ok=True)
    return folder
