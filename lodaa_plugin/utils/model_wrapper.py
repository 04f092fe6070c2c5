# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The model inside a runner's DDP (or other mmengine) wrapper."""
import torch.nn as nn
from mmengine.model import is_model_wrapper


def unwrap_model(model: nn.Module) -> nn.Module:
    """Return the model a wrapper holds, or the model itself.

    Args:
        model (nn.Module): ``runner.model``, wrapped or not.

    Returns:
        nn.Module: The detector or classifier whose attributes (``bbox_head``,
        ``dataset_meta``) hooks and tools read.
    """
    return model.module if is_model_wrapper(model) else model
