# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The status a rank stops with on purpose, for the launcher that started it
(:mod:`lodaa_plugin.utils.torchrun`)."""
import os

# names the file each rank writes its deliberate exit status to
EXIT_STATUS_ENV = 'LODAA_EXIT_STATUS_FILE'


def record_exit_status(code: int) -> None:
    """Tell the launcher which status this rank stops with (nothing when no
    launcher asked, i.e. :data:`EXIT_STATUS_ENV` is unset).

    Args:
        code (int): The exit status about to be used.
    """
    path = os.environ.get(EXIT_STATUS_ENV)
    if not path:
        return
    temp = f'{path}.{os.getpid()}.tmp'
    with open(temp, 'w') as f:
        f.write(str(code))
    os.replace(temp, path)
