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


def _step(path, step, meta=True):
    save_checkpoint(
        dict(
            state_dict=_head(3).state_dict(),
            meta=dict(iter=step, epoch=0) if meta else {}), str(path))


def test_resume_takes_the_pointer_else_the_newest_that_loads(tmp_path):
    """mmengine restarts from scratch without last_checkpoint; here the
    newest checkpoint that loads is taken, and what was passed over named."""
    from lodaa_plugin.apis import find_resume_checkpoint
    for step in (2, 4, 10):
        _step(tmp_path / f'iter_{step}.pth', step)
    (tmp_path / 'iter_12.pth').write_bytes(b'truncated')  # killed copy
    _step(tmp_path / 'iter_11.pth', 11, meta=False)  # a published one
    (tmp_path / 'best_mAP_iter_99.pth').write_bytes(b'not a step file')
    found = find_resume_checkpoint(str(tmp_path))
    assert found.path == str(tmp_path / 'iter_10.pth')
    assert not found.via_pointer
    text = '; '.join(found.notes)
    assert 'no ' + str(tmp_path / 'last_checkpoint') in text
    assert str(tmp_path / 'iter_12.pth') + ' cannot be loaded' in text
    assert str(tmp_path / 'iter_11.pth') + ' has no training progress' in text
    # the pointer first, as mmengine
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    found = find_resume_checkpoint(str(tmp_path))
    assert found == (str(tmp_path / 'iter_4.pth'), True, [])
    # a pointer to a file gone: said so, and the newest taken
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_7.pth'))
    found = find_resume_checkpoint(str(tmp_path))
    assert found.path == str(tmp_path / 'iter_10.pth')
    assert 'iter_7.pth' in found.notes[0]
    assert 'does not exist' in found.notes[0]


def test_resume_finds_nothing_in_a_folder_without_checkpoints(tmp_path):
    from lodaa_plugin.apis import find_resume_checkpoint
    (tmp_path / 'iter_3.pth').write_bytes(b'')
    found = find_resume_checkpoint(str(tmp_path))
    assert found.path is None
    assert any('iter_3.pth cannot be loaded' in n for n in found.notes)
    found = find_resume_checkpoint(str(tmp_path / 'empty'))
    assert found.path is None and len(found.notes) == 2
