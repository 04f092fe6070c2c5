# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Name the closest registered types when a config's ``type=`` is unknown.

An opt-in feature, not a fix: :func:`enable_registry_hints` wraps
``mmengine.Registry.build`` once per process (mmengine has no public hook
on a failed lookup; a registry's ``build_func`` is per registry and would
replace what each OpenMMLab project sets). LODAA's tools call it; a config
opts in with ``custom_imports`` listing ``lodaa_plugin.compat.enable_hints``.
"""
import difflib
import functools
from typing import List

from mmengine.logging import print_log

from .once import apply_once


def registered_names(registry) -> List[str]:
    """List every name a registry can build.

    Args:
        registry (mmengine.registry.Registry): Any registry of a tree.

    Returns:
        list[str]: Sorted names of the registry, its root and every scope
        below the root.
    """
    names, seen = set(), set()
    root = registry
    while root.parent is not None:
        root = root.parent
    stack = [registry, root]
    while stack:
        reg = stack.pop()
        if id(reg) in seen:
            continue
        seen.add(id(reg))
        names.update(reg.module_dict)
        stack.extend(reg.children.values())
    return sorted(names)


@apply_once
def enable_registry_hints() -> bool:
    """Add "Did you mean: ..." to mmengine's unknown-type ``KeyError``.

    Idempotent (``enable_registry_hints.applied`` says whether it is in
    effect); logs once when it takes effect.

    Returns:
        bool: True if this call enabled the hints.
    """
    from mmengine.registry import Registry
    original = Registry.build

    @functools.wraps(original)
    def build(self, cfg, *args, **kwargs):
        try:
            return original(self, cfg, *args, **kwargs)
        except KeyError as err:
            name = cfg.get('type') if hasattr(cfg, 'get') else None
            message = str(err)
            if not isinstance(name, str) or 'did you mean' in message.lower() \
                    or 'is not in the' not in message:
                raise
            close = difflib.get_close_matches(
                name, registered_names(self), n=5, cutoff=0.5)
            hint = f' Did you mean: {", ".join(close)}?' if close else ''
            raise KeyError(f'{message.strip(chr(39) + chr(34))}{hint}') \
                from None

    Registry.build = build
    print_log(
        'LODAA: unknown config types now name the closest registered '
        'types (lodaa_plugin.compat.registry_hints).',
        logger='current')
    return True
