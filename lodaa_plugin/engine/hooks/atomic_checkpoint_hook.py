# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
# _save_checkpoint_with_step follows mmengine 0.10.7's CheckpointHook
# (Apache 2.0, OpenMMLab) with the pointer file written atomically. It is a
# copy because mmengine writes ``last_checkpoint`` inside that private method
# with a plain ``open(path, 'w')``, outside the file backend: the checkpoint
# itself goes through the registered AtomicLocalBackend (public
# ``backend_args``), the pointer has no public way to an atomic write.
"""Checkpoints that a kill while saving never leaves half-written."""
import logging
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

from ...utils import (ATOMIC_BACKEND, atomic_write_bytes,
                      remove_stale_temporaries)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` that writes atomically.

    mmengine writes a checkpoint, and the ``last_checkpoint`` pointer that
    ``--resume`` follows, with a plain write: a run killed while saving
    leaves a truncated file where the previous good one was. This hook
    writes both to a temporary file and renames it over the target, so
    either the old or the new file is there. Other mmengine writes are left
    as they are.

    Args:
        backend_args (dict, optional): File backend arguments. Defaults to
            ``dict(backend='lodaa_atomic_local')``
            (:class:`~lodaa_plugin.utils.AtomicLocalBackend`); another
            backend (e.g. object storage) keeps its own write semantics.
        **kwargs: Everything :class:`CheckpointHook` accepts.
    """

    def __init__(self, backend_args: Optional[dict] = None, **kwargs) -> None:
        if backend_args is None and kwargs.get('file_client_args') is None:
            backend_args = dict(backend=ATOMIC_BACKEND)
        super().__init__(backend_args=backend_args, **kwargs)

    def before_train(self, runner) -> None:
        """Set up as mmengine does, then remove what killed runs left.

        A run killed while writing leaves its temporary file (the target
        itself is untouched); they are deleted here, and named in the log.
        """
        super().before_train(runner)
        if is_main_process():
            for folder in {self.out_dir, runner.work_dir}:
                for path in remove_stale_temporaries(folder):
                    print_log(
                        f'removed {path}, left by a run killed while it '
                        'wrote a checkpoint',
                        logger='current',
                        level=logging.WARNING)

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        """Save the checkpoint of ``step``, drop outdated ones, and point
        ``last_checkpoint`` at it.

        Args:
            runner (Runner): The runner.
            step (int): Epoch or iteration of the checkpoint.
            meta (dict): Meta information saved with it.
        """
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                old = self.keep_ckpt_ids.popleft()
                if is_main_process():
                    path = self.file_backend.join_path(
                        self.out_dir, self.filename_tmpl.format(old))
                    if self.file_backend.isfile(path):
                        self.file_backend.remove(path)
                    elif self.file_backend.isdir(path):
                        self.file_backend.rmtree(path)
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if is_main_process():
            atomic_write_bytes(
                str(self.last_ckpt).encode(),
                osp.join(runner.work_dir, 'last_checkpoint'))
