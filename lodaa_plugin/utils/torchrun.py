# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""torchrun whose exit status keeps the ranks' "preempted, resume me" (75).

torchrun reports any rank that exits non-zero as a failure and itself exits
with 1, and when it is signalled it raises out with a traceback; a job
scheduler that requeues on 75 never sees it. The ranks write the status they
stop with to the file named by
:data:`~lodaa_plugin.utils.exit_status.EXIT_STATUS_ENV`; this launcher runs
torchrun in-process (one process, so a signal to the whole process group
reaches it once), then exits with that status::

    python -m lodaa_plugin.utils.torchrun --nproc_per_node=2 tools/train.py \
        CONFIG --launcher pytorch
"""
import os
import signal
import sys
import tempfile
from typing import List, Optional

from .exit_status import EXIT_STATUS_ENV


def main(argv: Optional[List[str]] = None) -> int:
    """Run torchrun with ``argv``; return the ranks' recorded status, else
    torchrun's.

    Args:
        argv (list[str], optional): torchrun's arguments. Defaults to
            ``sys.argv[1:]``.

    Returns:
        int: The exit status.
    """
    from torch.distributed.run import main as torchrun
    fd, path = tempfile.mkstemp(prefix='lodaa-exit-status-')
    os.close(fd)
    os.environ[EXIT_STATUS_ENV] = path
    code = 0
    try:
        torchrun(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except Exception as error:  # a rank failed, or torchrun was signalled
        print(f'torchrun: {type(error).__name__}: {error}', file=sys.stderr)
        code = 1
    finally:
        # torchrun's handlers raise; the job is over, further signals wait
        for name in ('SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1'):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        with open(path) as f:
            recorded = f.read().strip()
        os.remove(path)
    if recorded:
        print(
            f'torchrun: the ranks stopped with status {recorded} (75: '
            'preempted, a checkpoint saved; continue with --resume)',
            file=sys.stderr)
        return int(recorded)
    return code


if __name__ == '__main__':
    sys.exit(main())
