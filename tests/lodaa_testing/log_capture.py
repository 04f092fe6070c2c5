# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Collect what LODAA logs, for tests that check warnings."""
import contextlib
import logging
from typing import Iterator, List


@contextlib.contextmanager
def logged_warnings() -> Iterator[List[str]]:
    """Collect the warnings ``print_log(logger='current')`` emits meanwhile.

    Yields:
        list[str]: The messages, filled while the block runs.
    """
    from mmengine.logging import MMLogger
    messages: List[str] = []

    class _Collect(logging.Handler):

        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
