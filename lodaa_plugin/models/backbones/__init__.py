# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .simple_cnn import SimpleCNN
from .torchvision_backbone import TorchvisionBackbone

__all__ = ['SimpleCNN', 'TorchvisionBackbone']
