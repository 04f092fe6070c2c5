# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Name the closest registered types when a config's ``type=`` is unknown."""
import difflib
import functools
from typing import List

_PATCHED_FLAG = '_lodaa_hints'


def registered_names(registry) -> List[str]:
    """Every name a registry can build: its own, its children's (scopes)
    and its parents'."""
    names, seen, stack = set(), set(), [registry]
    root = registry
    while root.parent is not None:
        root = root.parent
    stack.append(root)
    while stack:
        reg = stack.pop()
        if id(reg) in seen:
            continue
        seen.add(id(reg))
        names.update(reg.module_dict)
        stack.extend(reg.children.values())
    return sorted(names)


def patch_registry_hints() -> None:
    """Add "did you mean" suggestions to mmengine's unknown-type error."""
    from mmengine.registry import Registry
    original = Registry.build
    if getattr(original, _PATCHED_FLAG, False):
        return

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

    setattr(build, _PATCHED_FLAG, True)
    Registry.build = build
