# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Read a pickled file of detections without running code from it.

``tools/test.py --out`` (mmdet's ``DumpDetResults``) pickles a list of dicts
of tensors, numbers, strings and tuples. A plain :func:`pickle.load` of a
crafted file calls whatever function the file names. Here only the
constructors such a file needs are reachable: tensors (their storage bytes
read back with ``torch.load(weights_only=True)``), numpy arrays and scalars,
``OrderedDict`` and torch dtypes. Anything else is refused with the file and
the name, unless the user trusts the file (``--unsafe-load``, i.e.
``LODAA_UNSAFE_LOAD=1``).
"""
import collections
import io
import logging
import pickle
import re
from typing import Any, Callable, Dict

import numpy as np
import torch
from mmengine.logging import print_log

from ...compat.checkpoint import UNSAFE_LOAD_ENV, unsafe_load_allowed


class _Refused(pickle.UnpicklingError):
    """The file names a function or type outside :func:`_allowed`."""


def _storage_from_bytes(data: bytes) -> Any:
    # torch's own _load_from_bytes unpickles these bytes with
    # weights_only=False: a second, unchecked unpickler
    try:
        return torch.load(io.BytesIO(data), weights_only=True)
    except pickle.UnpicklingError as err:
        # torch names the refused global as "GLOBAL module.name"
        found = re.search(r'GLOBAL (\S+)', str(err))
        name = found.group(1) if found else 'an object torch refuses'
        raise _Refused(f"{name} (inside a tensor's storage bytes)") from None


def _allowed() -> Dict[str, Callable]:
    import _codecs
    multiarray = (getattr(np, '_core', None) or np.core).multiarray
    allowed = {
        'collections.OrderedDict': collections.OrderedDict,
        '_codecs.encode': _codecs.encode,
        'torch._utils._rebuild_tensor_v2': torch._utils._rebuild_tensor_v2,
        'torch.storage._load_from_bytes': _storage_from_bytes,
        'numpy.ndarray': np.ndarray,
        'numpy.dtype': np.dtype,
    }
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[f'{module}._reconstruct'] = multiarray._reconstruct
        allowed[f'{module}.scalar'] = multiarray.scalar
    for name in dir(torch):
        if isinstance(getattr(torch, name, None), torch.dtype):
            allowed[f'torch.{name}'] = getattr(torch, name)
    return allowed


class _DetectionsUnpickler(pickle.Unpickler):
    """Unpickler that resolves only :func:`_allowed` names."""

    def find_class(self, module: str, name: str) -> Any:
        found = _allowed().get(f'{module}.{name}')
        if found is None:
            raise _Refused(f'{module}.{name}')
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
    except _Refused as err:
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
