# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Atomic local writes for mmengine: checkpoints are never half-written.

mmengine writes a checkpoint (and the ``last_checkpoint`` pointer) with a
plain ``open(path, 'wb').write(...)``; a run killed while writing leaves a
truncated ``.pth`` where the previous good one was (``latest.pth``-style
names, ``save_last``, resumed runs overwriting a file). We write to a
temporary file in the same folder, flush it to disk and rename it over the
target, which POSIX makes atomic: readers see the old file or the new one.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

_PATCHED_FLAG = '_lodaa_atomic'


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
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def patch_atomic_local_writes() -> None:
    """Make mmengine's LocalBackend ``put`` and ``put_text`` atomic."""
    from mmengine.fileio.backends.local_backend import LocalBackend
    if getattr(LocalBackend.put, _PATCHED_FLAG, False):
        return

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)

    for fn, original in ((put, LocalBackend.put),
                         (put_text, LocalBackend.put_text)):
        fn.__doc__ = original.__doc__
        setattr(fn, _PATCHED_FLAG, True)
    LocalBackend.put = put
    LocalBackend.put_text = put_text
