# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Progress you can see: a bar in a terminal, early log lines elsewhere,
and enough logged points in a short run to draw its loss curve."""
import sys
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook, LoggerHook
from mmengine.logging import print_log
from mmengine.registry import HOOKS
from tqdm import tqdm

# a short run logs at least this many points (a loss curve, not a dot)
MIN_POINTS = 20
# iterations logged before the logger's first interval, without a bar
EARLY = (1, 5, 10)


@HOOKS.register_module()
class ProgressHook(Hook):
    """Show training progress from the first iteration.

    In an interactive terminal, a bar of iterations with the loss and the
    time left; elsewhere (a log file, a scheduler), one line at iterations
    1, 5 and 10, before mmengine's logger takes over. A run too short for
    ``MIN_POINTS`` logged points at the logger's ``interval`` logs more
    often, so ``tools/analysis/plot_losses.py`` draws a curve.

    Args:
        bar (bool, optional): Show the bar; None: when standard output is a
            terminal. Defaults to None.
    """

    priority = 'VERY_LOW'

    def __init__(self, bar: Optional[bool] = None) -> None:
        self.bar = bar
        self._tqdm = None

    def before_train(self, runner) -> None:
        """Adapt the logging interval to the run, open the bar."""
        total = runner.max_iters
        for hook in runner.hooks:
            if isinstance(hook, LoggerHook) and \
                    total // hook.interval < MIN_POINTS:
                hook.interval = max(1, total // MIN_POINTS)
                print_log(
                    f'a short run ({total} iterations): logging every '
                    f'{hook.interval}',
                    logger='current')
        self._logger_interval = min(
            (h.interval for h in runner.hooks if isinstance(h, LoggerHook)),
            default=total)
        show = sys.stdout.isatty() if self.bar is None else self.bar
        if show and is_main_process():
            self._tqdm = tqdm(
                total=total,
                initial=runner.iter,
                desc='train',
                unit='it',
                dynamic_ncols=True)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Move the bar, or log an early line."""
        loss = (outputs or {}).get('loss')
        if hasattr(loss, 'detach'):
            loss = loss.detach()
        loss = None if loss is None else float(loss)
        done = runner.iter + 1
        if self._tqdm is not None:
            self._tqdm.update(1)
            if loss is not None:
                self._tqdm.set_postfix(loss=f'{loss:.4f}')
        elif done in EARLY and done < self._logger_interval and \
                is_main_process():
            print_log(
                f'iter {done}/{runner.max_iters}' +
                ('' if loss is None else f', loss {loss:.4f}'),
                logger='current')

    def after_train(self, runner) -> None:
        """Close the bar."""
        if self._tqdm is not None:
            self._tqdm.close()
            self._tqdm = None
