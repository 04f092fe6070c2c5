# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""NumClassesCheckHook stops a run whose head and dataset disagree."""
import os.path as osp
import subprocess

import pytest

from lodaa_testing import PYTHON, REPO_ROOT, python_env


@pytest.mark.slow
def test_mismatched_head_and_dataset_classes(tmp_path):
    from lodaa_testing import CELLS_ROOT, data_options
    result = subprocess.run([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '--work-dir',
        str(tmp_path), '--cfg-options',
        *data_options(CELLS_ROOT + '/', 'trainval.txt'),
        'model.backbone.init_cfg=None'
    ],
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode != 0
    assert ('The train dataset has 1 (cellbody) classes but the model head '
            'predicts 20: set num_classes=1') in result.stderr


VOC20 = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
         'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
         'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')


def _runner(num_classes, trained=None, **loaders):
    """A stand-in runner: a head, the model's dataset_meta, and loaders."""
    from types import SimpleNamespace as NS
    model = NS(
        bbox_head=NS(num_classes=num_classes),
        dataset_meta=dict(classes=trained) if trained else None)
    return NS(
        model=model,
        **{
            f'{name}_dataloader': NS(dataset=NS(metainfo=dict(classes=c)))
            for name, c in loaders.items()
        })


def test_the_training_set_decides_the_head():
    from lodaa_plugin.engine.hooks import NumClassesCheckHook
    with pytest.raises(ValueError, match='model.bbox_head.num_classes=1'):
        NumClassesCheckHook().before_train(
            _runner(20, train=('cellbody', ), val=('cellbody', )))


def test_a_val_set_left_on_voc_is_named_not_the_head():
    # classes set on the training loader only: the val loader is the fix
    from lodaa_plugin.engine.hooks import NumClassesCheckHook
    with pytest.raises(ValueError) as error:
        NumClassesCheckHook().before_train(
            _runner(1, train=('cellbody', ), val=VOC20))
    message = str(error.value)
    assert 'The val dataset has 20 (aeroplane' in message
    assert 'trained on 1 (cellbody)' in message
    assert 'val_dataloader.dataset.data_root' in message
    assert 'num_classes=20' not in message


def test_a_test_set_is_held_to_the_checkpoints_classes():
    from lodaa_plugin.engine.hooks import NumClassesCheckHook
    hook = NumClassesCheckHook()
    with pytest.raises(ValueError) as error:
        hook.before_test(_runner(1, trained=('cellbody', ), test=VOC20))
    assert 'test_dataloader.dataset' in str(error.value)
    assert 'num_classes=20' not in str(error.value)
    # same names, same order: passes; a renamed class does not
    hook.before_test(_runner(1, trained=('cellbody', ), test=('cellbody', )))
    with pytest.raises(ValueError, match='trained on 1 \\(cellbody\\)'):
        hook.before_test(_runner(1, trained=('cellbody', ), test=('cell', )))
    # no trained classes known: the head is the reference, advice neutral
    with pytest.raises(ValueError, match="its config's head is wrong"):
        hook.before_test(_runner(1, test=VOC20))
