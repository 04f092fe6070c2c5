# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .cli import add_common_args, build_runner, load_config

__all__ = ['add_common_args', 'build_runner', 'load_config']
