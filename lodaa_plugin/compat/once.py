# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Apply a fix once per process."""
import functools
import threading
from typing import Any, Callable

_LOCK = threading.RLock()


def apply_once(fix: Callable[..., bool]) -> Callable[..., bool]:
    """Make ``fix`` idempotent.

    ``fix`` returns whether it changed anything. Once it has, later calls
    return False without running it; while it has not (nothing to do yet),
    each call runs it again. The wrapper's ``applied`` attribute says
    whether it is in effect.

    Args:
        fix (Callable[..., bool]): The fix.

    Returns:
        Callable[..., bool]: The fix, returning True only on the call that
        applied it.
    """

    @functools.wraps(fix)
    def apply(*args: Any, **kwargs: Any) -> bool:
        with _LOCK:
            if apply.applied:
                return False
            apply.applied = bool(fix(*args, **kwargs))
            return apply.applied

    apply.applied = False
    return apply
