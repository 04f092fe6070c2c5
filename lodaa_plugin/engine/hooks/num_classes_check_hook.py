# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Stop a run whose model and dataset disagree on the number of classes."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ...utils.model_wrapper import unwrap_model


@HOOKS.register_module()
class NumClassesCheckHook(Hook):
    """Stop a run whose dataset classes and head ``num_classes`` differ.

    A mismatch otherwise trains silently on wrong labels or fails deep in
    the loss with an index error. Custom datasets change both: the classes
    (``metainfo`` or ``classes.txt``) and ``model.*head.num_classes``.

    Not mmdet's ``NumClassCheckHook``, because that one lives in mmdet's
    scope only, skips testing, and fails with a bare ``AssertionError``;
    this one also serves mmpretrain classifiers (``model.head``), checks
    before testing, and names the ``--cfg-options`` that fixes the run.
    """

    def _check(self, runner, loader_name: str) -> None:
        loader = getattr(runner, loader_name, None)
        dataset = getattr(loader, 'dataset', None)
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        model = unwrap_model(runner.model)
        head = getattr(model, 'bbox_head', None) or getattr(
            model, 'head', None)
        num_classes: Optional[int] = getattr(head, 'num_classes', None)
        if classes is None or num_classes is None:
            return
        if len(classes) != num_classes:
            raise ValueError(
                f'The {loader_name.replace("_dataloader", "")} dataset has '
                f'{len(classes)} classes ({", ".join(classes[:5])}'
                f'{", ..." if len(classes) > 5 else ""}) but the model head '
                f'predicts {num_classes}: set num_classes={len(classes)} in '
                'the head config (e.g. --cfg-options '
                f'model.bbox_head.num_classes={len(classes)}).')

    def before_train(self, runner) -> None:
        """Check the training dataset."""
        self._check(runner, 'train_dataloader')

    def before_val(self, runner) -> None:
        """Check the validation dataset."""
        self._check(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        """Check the test dataset."""
        self._check(runner, 'test_dataloader')
