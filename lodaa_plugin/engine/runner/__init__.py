# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .cached_feature_loop import CachedFeatureTrainLoop, random_transforms

__all__ = ['CachedFeatureTrainLoop', 'random_transforms']
