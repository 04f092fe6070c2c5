# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Reading a JSON file that a person or another tool wrote: one message
naming the file, whatever is wrong with it (missing, unreadable, not UTF-8,
not JSON, truncated); a UTF-8 byte-order mark, which Windows editors and
some labelling tools write, reads as none."""
import json
from typing import Any, Type


class JSONFileError(ValueError):
    """A JSON file that cannot be read; the message names it."""


def read_json(path: str, error: Type[ValueError] = JSONFileError) -> Any:
    """Read a JSON file.

    Args:
        path (str): The file.
        error (type): The exception to raise, a ``ValueError`` subclass
            taking one message. Defaults to :class:`JSONFileError`.

    Returns:
        Any: The decoded content.

    Raises:
        ValueError: ``error``, naming the file and what is wrong.
    """
    try:
        with open(path, encoding='utf-8-sig') as f:
            return json.load(f)
    except FileNotFoundError:
        raise error(f'{path}: no such file') from None
    except OSError as err:
        raise error(f'{path}: cannot be read ({err})') from None
    except UnicodeDecodeError as err:
        raise error(f'{path}: not UTF-8 text ({err})') from None
    except json.JSONDecodeError as err:
        early = ', it ends too early (truncated?)' if err.pos >= len(
            err.doc.rstrip()) else ''
        raise error(f'{path}: not JSON{early} ({err})') from None
