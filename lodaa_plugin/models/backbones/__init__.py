# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .torchvision_backbone import TorchvisionBackbone

__all__ = ['TorchvisionBackbone']
