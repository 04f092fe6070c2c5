# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Load a checkpoint into a model for evaluation: all of it, or an error."""
from typing import Optional

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
