# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Load mmengine checkpoints with torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default, and mmengine
0.10.7 saves its ``message_hub`` (``HistoryBuffer`` objects, numpy arrays) into
every checkpoint, so resume, ``load_from`` and testing fail with "Unsupported
global: mmengine.logging.history_buffer.HistoryBuffer" (mmengine issue 1655).

Local files are loaded with ``weights_only=True`` and an allow-list of the
types mmengine itself writes. mmengine's ``HistoryBuffer`` pickles its
statistics methods as ``getattr(HistoryBuffer, 'mean')``, so ``getattr`` is
allowed only in that form. A file that needs anything else is refused with an
error naming the file and the type: unpickling it could run any code. A user
who trusts such a file loads it with ``LODAA_UNSAFE_LOAD=1`` (the tools'
``--unsafe-load``), as mmengine did before torch 2.6.
"""
import collections
import io
import logging
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Dict, Optional

import mmengine
import numpy as np
import torch
from mmengine.logging import print_log

from .once import apply_once

# what to add to a config that uses LODAA's modules without the fixes
COMPAT_IMPORT = 'lodaa_plugin.compat.enable'

UNSAFE_LOAD_ENV = 'LODAA_UNSAFE_LOAD'


class CheckpointLoadError(RuntimeError):
    """A checkpoint that cannot be loaded; the message names the file."""


class RefusedGlobal(pickle.UnpicklingError):
    """A pickle names a function or type outside :func:`safe_globals`."""


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Return ``getattr(HistoryBuffer, name)`` for its statistics methods.

    Stands in for ``builtins.getattr`` while a checkpoint is unpickled, so
    that nothing else can be reached through it.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is not HistoryBuffer or not isinstance(name, str) \
            or name.startswith('_') \
            or not callable(vars(HistoryBuffer).get(name)):
        raise RefusedGlobal(
            f'getattr({getattr(obj, "__name__", type(obj).__name__)}, '
            f'{name!r}) is not a HistoryBuffer statistic')
    return getattr(obj, name)


def _storage_from_bytes(data: bytes) -> Any:
    """Stand in for ``torch.storage._load_from_bytes``, which unpickles a
    storage's bytes with ``weights_only=False``: a second, unchecked
    unpickler."""
    try:
        return torch.load(io.BytesIO(data), weights_only=True)
    except pickle.UnpicklingError as err:
        # torch names the refused global as "GLOBAL module.name"
        found = re.search(r'GLOBAL (\S+)', str(err))
        name = found.group(1) if found else 'an object torch refuses'
        raise RefusedGlobal(
            f"{name} (inside a tensor's storage bytes)") from None


def safe_globals() -> Dict[str, Any]:
    """Name what mmengine's checkpoints and pickled detections
    (``tools/test.py --out``) hold besides plain containers.

    Both :func:`load_local_checkpoint` (through ``torch.load``'s
    ``weights_only`` unpickler) and LODAA's reader of pickled detections
    resolve only these.

    Returns:
        dict[str, Any]: The object each pickled global name stands for.
    """
    import _codecs

    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = {
        'mmengine.logging.history_buffer.HistoryBuffer': HistoryBuffer,
        'builtins.getattr': _history_buffer_getattr,
        'collections.OrderedDict': collections.OrderedDict,
        '_codecs.encode': _codecs.encode,
        'torch._utils._rebuild_tensor_v2': torch._utils._rebuild_tensor_v2,
        'torch.storage._load_from_bytes': _storage_from_bytes,
        'numpy.ndarray': np.ndarray,
        'numpy.dtype': np.dtype,
    }
    # numpy's array and scalar pickles reconstruct through these functions;
    # numpy 2 names their module numpy._core, numpy 1.x (most published
    # checkpoints) numpy.core: both names are the same two functions
    multiarray = (getattr(np, '_core', None) or np.core).multiarray
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[f'{module}._reconstruct'] = multiarray._reconstruct
        allowed[f'{module}.scalar'] = multiarray.scalar
    # dtype classes (numpy.dtypes.Float64DType ...) are pickled by numpy 2
    dtypes = getattr(np, 'dtypes', None)
    for name in dir(dtypes) if dtypes is not None else ():
        if name.endswith('DType'):
            allowed[f'numpy.dtypes.{name}'] = getattr(dtypes, name)
    for name in dir(torch):
        if isinstance(getattr(torch, name, None), torch.dtype):
            allowed[f'torch.{name}'] = getattr(torch, name)
    return allowed


# torch.save's legacy (pre-zip) format starts with this pickled magic number
_LEGACY_MAGIC = b'\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.'


def not_a_torch_file(filename: str) -> Optional[str]:
    """Say why a file is not one ``torch.save`` wrote, or None if it is.

    Args:
        filename (str): The file.

    Returns:
        str or None: What the file looks like instead (empty, text, JSON, a
        plain pickle, another archive), or None for a torch file.
    """
    with open(filename, 'rb') as f:
        head = f.read(64)
    if not head:
        return 'the file is empty'
    if head.startswith(b'PK\x03\x04') and not zipfile.is_zipfile(filename):
        return None  # a damaged zip: torch.load names it "incomplete"
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as archive:
            if any(n.endswith('data.pkl') for n in archive.namelist()):
                return None
        return 'it is a zip archive without the data.pkl torch.save writes'
    if head.startswith(_LEGACY_MAGIC):
        return None
    if head[:1] == b'\x80':
        return ('it is a plain pickle (pickle.dump, as tools/test.py --out '
                'writes), not a file torch.save wrote')
    if head.lstrip()[:1] in (b'{', b'['):
        return 'it holds JSON or other text'
    try:
        head.decode('utf-8')
        return 'it is a text file'
    except UnicodeDecodeError:
        return f'it holds unknown binary data (starting {head[:8]!r})'


def unsafe_load_allowed() -> bool:
    """Tell whether the user allowed full unpickling (``LODAA_UNSAFE_LOAD``).

    Returns:
        bool: True when the variable is ``1``, ``true`` or ``yes``.
    """
    return os.environ.get(UNSAFE_LOAD_ENV,
                          '').strip().lower() in ('1', 'true', 'yes')


def load_local_checkpoint(filename: str,
                          map_location: Optional[str] = None) -> dict:
    """Load a checkpoint from a local path without running its code.

    Args:
        filename (str): Path of the checkpoint; ``~`` is expanded.
        map_location (str, optional): Same as :func:`torch.load`. Defaults to
            None.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: There is no such file.
        CheckpointLoadError: The file is not one torch.save wrote (named:
            empty, text, a plain pickle...), it is truncated, or
            it holds objects beyond tensors and mmengine's own state (and
            ``LODAA_UNSAFE_LOAD`` is not set).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    reason = not_a_torch_file(filename)
    if reason:
        raise CheckpointLoadError(
            f'{filename}: not a checkpoint: {reason}. Expected a .pth file '
            'written by training (torch.save).')
    try:
        with torch.serialization.safe_globals([
            (obj, name) for name, obj in safe_globals().items()
        ]):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's own words around the offending type vary by version
        reason = str(err).split('trusted source.', 1)[-1]
        reason = reason.split('WeightsUnpickler error:', 1)[-1]
        reason = ' '.join(reason.split('Check the documentation')[0].split())
        if not unsafe_load_allowed():
            raise CheckpointLoadError(
                f'{filename}: refused, it holds objects beyond tensors and '
                f"mmengine's own state, and unpickling them could run any "
                f'code ({reason[:300]}). If you trust the file, load it with '
                f'{UNSAFE_LOAD_ENV}=1 (LODAA tools: --unsafe-load).') from None
        print_log(
            f'{filename}: {UNSAFE_LOAD_ENV} is set, loading it with '
            f'weights_only=False ({reason[:200]}).',
            logger='current',
            level=logging.WARNING)
        return torch.load(
            filename, map_location=map_location, weights_only=False)
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, KeyError,
            ValueError) as err:
        raise CheckpointLoadError(
            f'{filename}: not a complete checkpoint (truncated or corrupt: '
            f'{(str(err) or type(err).__name__).splitlines()[0][:200]})'
        ) from err


@apply_once
def patch_checkpoint_loading() -> bool:
    """Route mmengine's local-file checkpoint scheme through
    :func:`load_local_checkpoint`.

    Returns:
        bool: True if this call installed it, False if it was in place.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
    return True


@apply_once
def advise_compat_import() -> bool:
    """Make mmengine's local checkpoint loading, when torch refuses a file
    as not weights-only, say which import fixes it.

    Runs on ``import lodaa_plugin``; it changes that one error's message and
    nothing else: a file that loads still loads the same way. A config that
    imports ``lodaa_plugin`` without :data:`COMPAT_IMPORT`, launched by any
    runner (mmengine's ``Runner``, mmdet's ``tools/train.py``, ``mim``), then
    learns the fix instead of only torch's advice to unpickle unsafely.

    Returns:
        bool: True if this call installed the advice, False if the scheme
        already had it or the fixes.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    current = CheckpointLoader._schemes.get('')
    if current is None or patch_checkpoint_loading.applied:
        return False

    def load_with_advice(filename: str,
                         map_location: Optional[str] = None) -> dict:
        try:
            return current(filename, map_location)
        except pickle.UnpicklingError as err:
            if 'weights only' not in str(err).lower():
                raise
            raise CheckpointLoadError(
                f'{filename}: torch {torch.__version__} loads checkpoints '
                "weights-only, which refuses mmengine's own state in them "
                f"(mmengine {mmengine.__version__} predates it). Add "
                f"'{COMPAT_IMPORT}' to custom_imports after 'lodaa_plugin' "
                '(or call lodaa_plugin.compat.enable_compat() before building '
                'the Runner): it loads them safely.') from err

    CheckpointLoader.register_scheme(
        prefixes='', loader=load_with_advice, force=True)
    return True
