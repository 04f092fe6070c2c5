# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""mmengine's Runner with a console that starts with the run, not with
hundreds of lines of environment, config and hooks."""
import logging

from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

# what mmengine logs at start that a user rarely reads: kind -> a test of
# the message (the Runner's dumps, the optimizer's line per parameter, the
# deprecation notes of mmengine's own calls)
FILE_ONLY = {
    'environment, config and hooks':
    lambda m: m.startswith(('\n' + '-' * 60 + '\nSystem environment:',
                            'Config:\n', 'Hooks will be executed in the')),
    'the optimizer\'s per-parameter notes':
    lambda m: m.startswith('paramwise_options -- ') or m.endswith(
        'is skipped since its requires_grad=False'),
    'mmengine\'s deprecation notes':
    lambda m: 'will be deprecated in future' in m,
}


class _FileOnly(logging.Filter):
    """Keep :data:`FILE_ONLY` off a console handler; say once per kind, on
    that console only, where it is (the record itself, which the file
    handler writes next, is left as it is)."""

    def __init__(self, console: logging.StreamHandler, log_file: str) -> None:
        super().__init__()
        self.console = console
        self.log_file = log_file
        self.said = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            return True
        kind = next((k for k, test in FILE_ONLY.items() if test(record.msg)),
                    None)
        if kind is None:
            return True
        if kind not in self.said:
            self.said.add(kind)
            notice = logging.makeLogRecord(
                dict(
                    record.__dict__,
                    msg=f'{kind}: in {self.log_file}',
                    args=(),
                    levelno=logging.INFO,
                    levelname='INFO'))
            self.console.stream.write(
                self.console.format(notice) + self.console.terminator)
        return False


@RUNNERS.register_module()
class LodaaRunner(Runner):
    """A :class:`~mmengine.runner.Runner` whose console leaves out what
    mmengine logs at start for the record (:data:`FILE_ONLY`: environment,
    config, hook table, a line per frozen parameter), saying once where it
    is: the log file, ``WORK_DIR/TIMESTAMP/TIMESTAMP.log``. The first screen
    of a run shows the run. Selected by ``runner_type='LodaaRunner'``
    (LODAA's configs); ``log_level='DEBUG'`` keeps mmengine's console.
    """

    def build_logger(self, log_level='INFO', log_file=None, **kwargs):
        """Build mmengine's logger, its console filtered.

        Args:
            log_level (int or str): The console's and the file's level.
                Defaults to ``'INFO'``.
            log_file (str, optional): The log file; mmengine's default
                (in the run's log dir) when None. Defaults to None.
            **kwargs: What :meth:`Runner.build_logger` takes.

        Returns:
            MMLogger: The logger.
        """
        logger: MMLogger = super().build_logger(log_level, log_file, **kwargs)
        if log_level in (logging.DEBUG, 'DEBUG'):
            return logger
        files = [
            h.baseFilename for h in logger.handlers
            if isinstance(h, logging.FileHandler)
        ]
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.addFilter(
                    _FileOnly(handler, files[0] if files else 'the log'))
        return logger
