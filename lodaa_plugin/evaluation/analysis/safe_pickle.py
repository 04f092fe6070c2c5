# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Read a pickled file of detections without running code from it.

``tools/test.py --out`` (mmdet's ``DumpDetResults``) pickles a list of dicts
of tensors, numbers, strings and tuples. A plain :func:`pickle.load` of a
crafted file calls whatever function the file names. Here only the
constructors of :func:`~lodaa_plugin.compat.checkpoint.safe_globals` are
reachable, the allow-list LODAA's checkpoint loading uses: tensors (their
storage bytes read back with ``torch.load(weights_only=True)``), numpy arrays
and scalars, ``OrderedDict``, torch dtypes and mmengine's ``HistoryBuffer``.
Anything else is refused with the file and the name, unless the user trusts
the file (``--unsafe-load``, i.e. ``LODAA_UNSAFE_LOAD=1``).
"""
import io
import logging
import pickle
from typing import Any

from mmengine.logging import print_log

from ...compat.checkpoint import (UNSAFE_LOAD_ENV, RefusedGlobal, safe_globals,
                                  unsafe_load_allowed)


class _DetectionsUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the names of
    :func:`~lodaa_plugin.compat.checkpoint.safe_globals`."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self.allowed = safe_globals()

    def find_class(self, module: str, name: str) -> Any:
        found = self.allowed.get(f'{module}.{name}')
        if found is None:
            raise RefusedGlobal(f'{module}.{name}')
        return found


def load_detections_pickle(path: str) -> Any:
    """Unpickle a file of detections, refusing anything that could run code.

    Args:
        path (str): The ``.pkl`` file.

    Returns:
        Any: What the file holds.

    Raises:
        ValueError: The file is empty, truncated or not a pickle, or it
            names a function or type a file of detections never holds (and
            the user did not set ``LODAA_UNSAFE_LOAD``).
    """
    with open(path, 'rb') as f:
        data = f.read()
    if not data:
        raise ValueError(f'{path}: the file is empty; write detections with '
                         'tools/test.py CONFIG CHECKPOINT --out FILE.pkl')
    try:
        return _DetectionsUnpickler(io.BytesIO(data)).load()
    except RefusedGlobal as err:
        if not unsafe_load_allowed():
            raise ValueError(
                f'{path}: refused, it asks for {err}, which a file of '
                'detections (tools/test.py --out) never holds, and '
                'unpickling it could run any code. If you trust the file, '
                f'load it with --unsafe-load ({UNSAFE_LOAD_ENV}=1).') from None
        print_log(
            f'{path}: {UNSAFE_LOAD_ENV} is set, unpickling {err} as the file '
            'asks.',
            logger='current',
            level=logging.WARNING)
        return pickle.loads(data)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError,
            IndexError, KeyError, AttributeError, RuntimeError) as err:
        raise ValueError(
            f'{path}: not a complete pickle of detections (truncated or '
            f'another format: {type(err).__name__}: '
            f'{str(err).splitlines()[0][:200] if str(err) else ""})') from None
