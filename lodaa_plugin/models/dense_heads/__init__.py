# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .fcos_reg_centerness_head import FCOSRegCenternessHead

__all__ = ['FCOSRegCenternessHead']
