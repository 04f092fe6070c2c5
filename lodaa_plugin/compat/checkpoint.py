# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Load mmengine checkpoints with torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default, and mmengine
0.10.7 saves its ``message_hub`` (``HistoryBuffer`` objects, numpy arrays) into
every checkpoint, so resume, ``load_from`` and testing fail with "Unsupported
global: mmengine.logging.history_buffer.HistoryBuffer" (mmengine issue 1655).

Local files are first loaded with ``weights_only=True`` and an allow-list of
the types mmengine itself writes; only a file that needs more (an old model-zoo
checkpoint with pickled objects) is loaded with ``weights_only=False``, as
mmengine did before torch 2.6, with a warning naming the file.
"""
import logging
import os.path as osp
import pickle
from typing import Callable, List, Optional

import numpy as np
import torch
from mmengine.logging import print_log

_PATCHED_FLAG = '_lodaa_patched'


def _mmengine_safe_globals() -> List[Callable]:
    """List the types mmengine's own checkpoints hold besides tensors."""
    from mmengine.logging.history_buffer import HistoryBuffer
    safe = [HistoryBuffer, np.ndarray, np.dtype]
    # numpy's array pickles reconstruct through this function; its module
    # moved from numpy.core to numpy._core in numpy 2.
    multiarray = getattr(np, '_core', None) or np.core
    safe.append(multiarray.multiarray._reconstruct)
    safe.append(multiarray.multiarray.scalar)
    # dtype classes (numpy.dtypes.Float64DType ...) are pickled by numpy 2.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return safe


def load_local_checkpoint(filename: str,
                          map_location: Optional[str] = None) -> dict:
    """Load a checkpoint from a local path on any torch version.

    Args:
        filename (str): Path of the checkpoint; ``~`` is expanded.
        map_location (str, optional): Same as :func:`torch.load`. Defaults to
            None.

    Returns:
        dict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        with torch.serialization.safe_globals(_mmengine_safe_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        print_log(
            f'{filename} holds pickled objects beyond tensors and mmengine '
            f'state ({str(err).splitlines()[-1][:200]}); loading it with '
            'weights_only=False. Only load checkpoints you trust.',
            logger='current',
            level=logging.WARNING)
        return torch.load(
            filename, map_location=map_location, weights_only=False)


def patch_checkpoint_loading() -> bool:
    """Route mmengine's local-file checkpoint scheme through
    :func:`load_local_checkpoint`.

    Returns:
        bool: True if this call installed it, False if it was in place.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    current = CheckpointLoader._schemes.get('')
    if getattr(current, _PATCHED_FLAG, False):
        return False
    setattr(load_local_checkpoint, _PATCHED_FLAG, True)
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
    return True
