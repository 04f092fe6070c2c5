# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Import this module to switch on LODAA's fixes for today's PyTorch.

    custom_imports = dict(
        imports=['lodaa_plugin', 'lodaa_plugin.compat.enable'],
        allow_failed_imports=False)
"""
from . import enable_compat

enable_compat()
