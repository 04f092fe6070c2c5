# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Atomic local writes: a file is either the old one or the new one.

A plain ``open(path, 'wb').write(...)`` that is killed half-way leaves a
truncated file where the previous good one was. Writing to a temporary file
in the same folder, flushing it to disk and renaming it over the target is
atomic on POSIX file systems: readers see the old file or the new one.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import List, Union

from mmengine.fileio import LocalBackend, register_backend

ATOMIC_BACKEND = 'lodaa_atomic_local'
# temporary files are named .<target name>.<random>.lodaa-tmp
TMP_SUFFIX = '.lodaa-tmp'


def _umask() -> int:
    """Return the process's umask (reading it means setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: str) -> List[str]:
    """Delete temporary files that a killed :func:`atomic_write_bytes` left.

    Args:
        folder (str): Where the writes went.

    Returns:
        list[str]: The removed files.
    """
    removed = []
    if not osp.isdir(folder):
        return removed
    for name in os.listdir(folder):
        if name.startswith('.') and name.endswith(TMP_SUFFIX):
            path = osp.join(folder, name)
            try:
                os.remove(path)
                removed.append(path)
            except OSError:
                pass
    return removed


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically (same-folder temp + rename).

    Args:
        data (bytes): Content.
        filepath (str or Path): Destination; its folder is created.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix=TMP_SUFFIX)
    try:
        # mkstemp makes the file 0600; give it what open() would give it
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """mmengine's :class:`LocalBackend` whose ``put`` and ``put_text`` are
    atomic.

    Selected with ``backend_args=dict(backend='lodaa_atomic_local')``, e.g.
    by :class:`~lodaa_plugin.engine.hooks.AtomicCheckpointHook`; every other
    use of mmengine's file I/O is left as it is.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically.

        Args:
            obj (bytes): Data to write.
            filepath (str or Path): Destination.
        """
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically.

        Args:
            obj (str): Text to write.
            filepath (str or Path): Destination.
            encoding (str): Text encoding. Defaults to ``'utf-8'``.
        """
        atomic_write_bytes(obj.encode(encoding), filepath)
