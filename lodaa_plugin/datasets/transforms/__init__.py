# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .loading import ImageLoadError, LodaaLoadImageFromFile, check_image_bytes

__all__ = ['ImageLoadError', 'LodaaLoadImageFromFile', 'check_image_bytes']
