# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Load a checkpoint into a model for evaluation: all of it, or an error;
and find the checkpoint ``--resume`` continues from."""
import glob
import os.path as osp
import re
from typing import List, NamedTuple, Optional

import torch
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)


class CheckpointMismatchError(RuntimeError):
    """A checkpoint whose weights do not fit the model; names both."""


def load_checkpoint_strict(model: torch.nn.Module,
                           filename: str,
                           config: Optional[str] = None,
                           map_location: str = 'cpu') -> dict:
    """Load every weight of ``model`` from ``filename``, or raise.

    Evaluating or drawing with layers left at random values gives numbers
    and boxes that look real; so a missing, unexpected or differently
    shaped weight (another model's checkpoint, another number of classes,
    an empty ``state_dict``) is an error here, unlike mmengine's default
    ``strict=False``.

    Args:
        model (torch.nn.Module): The model built from the config.
        filename (str): The checkpoint.
        config (str, optional): The config, named in the error. Defaults to
            None.
        map_location (str): Where tensors are loaded. Defaults to
            ``'cpu'``.

    Returns:
        dict: The loaded checkpoint (``meta`` and the rest).

    Raises:
        CheckpointMismatchError: The weights do not fit the model.
    """
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    state = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not state:
        raise CheckpointMismatchError(
            f'{filename}: no weights in it (empty or missing state_dict)')
    try:
        _load_checkpoint_to_model(model, checkpoint, strict=True)
    except RuntimeError as err:
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        where = f' for the model of {config}' if config else ''
        raise CheckpointMismatchError(
            f'{filename} does not fit{where}: ' + '; '.join(lines)[:2000] +
            '. Check that the checkpoint was trained with this config (the '
            'same classes, backbone and head).') from None
    return checkpoint


def checkpoint_dataset_meta(checkpoint: dict) -> dict:
    """The ``dataset_meta`` a loaded checkpoint carries, keys lower-cased
    (mmengine saves ``CLASSES`` in some versions, ``classes`` in others).

    Args:
        checkpoint (dict): What :func:`load_checkpoint_strict` returned.

    Returns:
        dict: ``classes`` and the rest; empty when the checkpoint has none.
    """
    meta = checkpoint.get('meta', {}).get('dataset_meta') or {}
    return {k.lower(): v for k, v in meta.items()}


# what CheckpointHook and PreemptionHook write: iter_N.pth, epoch_N.pth,
# preempted_iter_N.pth
_STEP_FILE = re.compile(r'^(?:preempted_)?(?:iter|epoch)_(\d+)\.pth$')


class ResumePoint(NamedTuple):
    """Where ``--resume`` continues from: ``path``, the checkpoint (None
    when none can be used); ``via_pointer``, whether it is the one
    ``last_checkpoint`` names (as mmengine would resume); ``notes``, what
    was found and passed over, and why."""
    path: Optional[str]
    via_pointer: bool
    notes: List[str]


def _resumable(path: str) -> Optional[str]:
    """Why a checkpoint cannot be resumed, or None if it can."""
    try:
        checkpoint = _load_checkpoint(path, map_location='cpu')
    except Exception as error:  # truncated, not torch, refused pickle
        return f'cannot be loaded ({type(error).__name__}: ' \
            f'{str(error)[:200]})'
    if not isinstance(checkpoint, dict) or not checkpoint.get('state_dict'):
        return 'holds no state_dict'
    meta = checkpoint.get('meta') or {}
    if not isinstance(meta, dict) or ('iter' not in meta
                                      and 'epoch' not in meta):
        return 'has no training progress (meta.iter / meta.epoch)'
    return None


def find_resume_checkpoint(work_dir: str) -> ResumePoint:
    """The checkpoint a run in ``work_dir`` continues from.

    mmengine follows the ``last_checkpoint`` pointer alone, and without one
    starts again from scratch, saving over the run's checkpoints. Here the
    pointer's checkpoint comes first, then the work dir's ``iter_*.pth``,
    ``epoch_*.pth`` and ``preempted_iter_*.pth``, newest step first: the
    first one that loads and holds weights and progress is the answer.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        ResumePoint: The checkpoint (None when none can be resumed) and
        what was passed over.
    """
    notes, candidates = [], []
    pointer = osp.join(work_dir, 'last_checkpoint')
    named = None
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and osp.isfile(named):
            candidates.append(named)
        else:
            notes.append(f'{pointer} names {named!r}, which does not exist')
            named = None
    else:
        notes.append(f'no {pointer}')
    steps = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = _STEP_FILE.match(osp.basename(path))
        if match:
            steps.append((int(match.group(1)), osp.getmtime(path), path))
    candidates += [
        p for _, _, p in sorted(steps, reverse=True)
        if not (named and osp.samefile(p, named))
    ]
    if len(candidates) == (1 if named else 0):
        notes.append(f'no iter_*.pth or epoch_*.pth in {work_dir}')
    for path in candidates:
        problem = _resumable(path)
        if problem is None:
            return ResumePoint(path, path == named, notes)
        notes.append(f'{path} {problem}')
    return ResumePoint(None, False, notes)
