# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Stop a run whose model and datasets disagree on the classes."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ...utils.model_wrapper import unwrap_model


def _names(classes: Sequence[str]) -> str:
    shown = ', '.join(classes[:5])
    return f'{len(classes)} ({shown}{", ..." if len(classes) > 5 else ""})'


@HOOKS.register_module()
class NumClassesCheckHook(Hook):
    """Stop a run whose datasets and head disagree on the classes.

    A mismatch otherwise trains silently on wrong labels, fails deep in the
    loss with an index error, or scores a model on another dataset's
    labels. The training dataset decides: its classes set the head's
    ``num_classes``. A validation or test dataset that differs from the
    model's classes (those it was trained on, from the checkpoint's or the
    training dataset's ``metainfo``) is named as the one to change, never
    the head.

    Not mmdet's ``NumClassCheckHook``, because that one lives in mmdet's
    scope only, skips testing, and fails with a bare ``AssertionError``;
    this one also serves mmpretrain classifiers (``model.head``), checks
    before testing, and names the setting that fixes the run.
    """

    @staticmethod
    def _head_classes(runner) -> Optional[int]:
        model = unwrap_model(runner.model)
        head = getattr(model, 'bbox_head', None) or getattr(
            model, 'head', None)
        return getattr(head, 'num_classes', None)

    @staticmethod
    def _classes(runner, loader_name: str) -> Optional[Sequence[str]]:
        try:  # a loop that was never built (no val_cfg) has no loader
            dataset = getattr(runner, loader_name).dataset
        except (AttributeError, RuntimeError):
            return None
        return getattr(dataset, 'metainfo', {}).get('classes')

    def before_train(self, runner) -> None:
        """Check the training dataset against the head, then validation's
        against the training dataset."""
        classes = self._classes(runner, 'train_dataloader')
        num_classes = self._head_classes(runner)
        if classes is None:
            return
        self._trained = tuple(classes)
        if num_classes is not None and len(classes) != num_classes:
            raise ValueError(
                f'The train dataset has {_names(classes)} classes but the '
                f'model head predicts {num_classes}: set '
                f'num_classes={len(classes)} in the head config (e.g. '
                '--cfg-options '
                f'model.bbox_head.num_classes={len(classes)}).')
        self._check_held_out(runner, 'val_dataloader')

    def before_val(self, runner) -> None:
        """Check the validation dataset against the model's classes."""
        self._check_held_out(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        """Check the test dataset against the model's classes."""
        self._check_held_out(runner, 'test_dataloader')

    def _check_held_out(self, runner, loader_name: str) -> None:
        classes = self._classes(runner, loader_name)
        if classes is None:
            return
        meta = getattr(unwrap_model(runner.model), 'dataset_meta', None)
        trained = getattr(self, '_trained', None) or (meta
                                                      or {}).get('classes')
        split = loader_name.replace('_dataloader', '')
        fix = (f'point {loader_name}.dataset at the same kind of data '
               '(--cfg-options '
               f'{loader_name}.dataset.data_root=... '
               f'"{loader_name}.dataset.metainfo.classes=(...)"), or use a '
               'config that sets the classes for every loader '
               '(configs/custom/)')
        if trained is not None:
            if tuple(classes) != tuple(trained):
                raise ValueError(
                    f'The {split} dataset has {_names(classes)} classes, '
                    f'but the model was trained on {_names(trained)}: '
                    f'{fix}.')
            return
        num_classes = self._head_classes(runner)
        if num_classes is not None and len(classes) != num_classes:
            raise ValueError(
                f'The {split} dataset has {_names(classes)} classes but the '
                f'model head predicts {num_classes}: {fix}; or, if this '
                f'is the model you meant, its config\'s head is wrong.')
