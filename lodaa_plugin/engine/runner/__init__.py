# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .cached_feature_loop import CachedFeatureTrainLoop, random_transforms
from .lodaa_runner import LodaaRunner

__all__ = ['CachedFeatureTrainLoop', 'LodaaRunner', 'random_transforms']
