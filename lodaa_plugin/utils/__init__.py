# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Small shared pieces; nothing here imports the rest of lodaa_plugin."""
from .atomic_write import (ATOMIC_BACKEND, AtomicLocalBackend,
                           atomic_write_bytes, remove_stale_temporaries)
from .config_loading import configs_dir

__all__ = [
    'ATOMIC_BACKEND', 'AtomicLocalBackend', 'atomic_write_bytes',
    'configs_dir', 'remove_stale_temporaries'
]
