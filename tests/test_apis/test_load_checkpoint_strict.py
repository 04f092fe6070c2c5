# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Evaluation loads every weight of a checkpoint, or stops and says why."""
import pytest
import torch
from mmengine.runner.checkpoint import save_checkpoint

from lodaa_plugin.apis import CheckpointMismatchError, load_checkpoint_strict
from lodaa_plugin.models import FCOSRegCenternessHead


def _head(num_classes: int) -> FCOSRegCenternessHead:
    return FCOSRegCenternessHead(
        num_classes=num_classes,
        in_channels=8,
        feat_channels=8,
        stacked_convs=1,
        norm_cfg=None)


def test_own_checkpoint_loads_every_weight(tmp_path):
    torch.manual_seed(0)
    trained = _head(3)
    path = str(tmp_path / 'head.pth')
    save_checkpoint(
        dict(state_dict=trained.state_dict(), meta=dict(a=1)), path)
    fresh = _head(3)
    loaded = load_checkpoint_strict(fresh, path)
    assert loaded['meta'] == dict(a=1)
    for (name, a), b in zip(trained.state_dict().items(),
                            fresh.state_dict().values()):
        assert torch.equal(a, b), name


@pytest.mark.parametrize('case', ['other classes', 'empty', 'other model'])
def test_a_checkpoint_that_does_not_fit_is_an_error(tmp_path, case):
    path = str(tmp_path / 'ckpt.pth')
    state = {
        'other classes': _head(3).state_dict(),
        'empty': {},
        'other model': torch.nn.Linear(2, 2).state_dict(),
    }[case]
    save_checkpoint(dict(state_dict=state), path)
    with pytest.raises(CheckpointMismatchError) as err:
        load_checkpoint_strict(_head(20), path, config='my_config.py')
    message = str(err.value)
    assert path in message
    if case == 'other classes':
        # the class layer's shape is named
        assert 'conv_cls' in message and 'my_config.py' in message
    elif case == 'empty':
        assert 'no weights' in message
    else:
        assert 'weight' in message
