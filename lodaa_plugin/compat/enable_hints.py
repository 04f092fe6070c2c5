# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Import this module to turn on "did you mean" hints for unknown types.

    custom_imports = dict(
        imports=['lodaa_plugin', 'lodaa_plugin.compat.enable_hints'],
        allow_failed_imports=False)
"""
from .registry_hints import enable_registry_hints

enable_registry_hints()
