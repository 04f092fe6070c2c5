# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Collect what LODAA logs, for tests that check warnings."""
import contextlib
import logging
from typing import Iterator, List


def logged_warnings() -> contextlib.AbstractContextManager:
    """Collect the warnings ``print_log(logger='current')`` emits meanwhile.

    Returns:
        A context manager yielding the messages, filled while the block
        runs.
    """
    return logged_messages(logging.WARNING)


@contextlib.contextmanager
def logged_messages(level: int = logging.INFO) -> Iterator[List[str]]:
    """Collect what ``print_log(logger='current')`` emits meanwhile, at
    ``level`` or above.

    Args:
        level (int): The lowest level collected. Defaults to INFO.

    Yields:
        list[str]: The messages, filled while the block runs.
    """
    from mmengine.logging import MMLogger
    messages: List[str] = []

    class _Collect(logging.Handler):

        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= level:
                messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
