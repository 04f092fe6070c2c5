# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .atomic_write import atomic_write_bytes, patch_atomic_local_writes
from .cached_feature_loop import CachedFeatureTrainLoop, random_transforms
from .cli import add_common_args, build_runner, load_config
from .non_finite_loss_hook import NonFiniteLossHook
from .num_classes_check_hook import NumClassesCheckHook
from .registry_hints import patch_registry_hints, registered_names

__all__ = [
    'atomic_write_bytes', 'patch_atomic_local_writes',
    'CachedFeatureTrainLoop', 'random_transforms', 'add_common_args',
    'build_runner', 'load_config', 'NonFiniteLossHook', 'NumClassesCheckHook',
    'patch_registry_hints', 'registered_names'
]
