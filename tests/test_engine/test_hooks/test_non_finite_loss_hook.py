# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""NonFiniteLossHook stops (or skips) a step whose loss is NaN / inf."""
import re

import numpy as np
import pytest

from lodaa_testing.toy import final_weights, run_toy


# ---------------------------------------------------------- non-finite loss
@pytest.mark.slow
def test_non_finite_loss_stops_with_iteration_and_part(tmp_path):
    result = run_toy([str(tmp_path), '2'], env={'TOY_NAN_AT': '5'})
    assert result.returncode != 0
    assert re.search(r'Non-finite loss at iteration 5 \(epoch 1\): loss=nan',
                     result.stderr), result.stderr[-2000:]


@pytest.mark.slow
def test_non_finite_loss_step_skipped_when_asked(tmp_path):
    result = run_toy([str(tmp_path), '2', '--skip-nan'],
                     env={'TOY_NAN_AT': '5'})
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'step skipped (1/100)' in result.stdout + result.stderr
    assert all(np.isfinite(final_weights(result.stdout)))


@pytest.mark.slow
def test_a_nan_learning_rate_is_named_not_blamed_on_the_loss(tmp_path):
    result = run_toy([tmp_path, 1], env={'TOY_LR': 'nan'})
    assert result.returncode != 0
    assert re.search(
        r'The learning rate is nan \(optimizer , param group 0\) at '
        r'iteration 1', result.stderr), result.stderr[-2000:]
    assert 'Non-finite loss' not in result.stderr
    assert not list(tmp_path.glob('*.pth'))


@pytest.mark.slow
def test_skipping_stops_when_the_model_does_not_recover(tmp_path):
    result = run_toy([tmp_path, 2, '--skip-nan'], env={'TOY_NAN_FROM': '3'})
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert 'step skipped (10/100)' in log
    assert re.search(
        r'Non-finite loss at iteration 13 .*10 steps in a row '
        'were skipped', log), log[-2000:]
    # epoch 1 (8 steps) ended before the limit, with finite weights
    assert [p.name for p in tmp_path.glob('*.pth')] == ['epoch_1.pth']


def test_a_checkpoint_with_non_finite_weights_is_not_written():
    import torch

    from lodaa_plugin.engine.hooks import NonFiniteLossHook

    class _Runner:
        iter = 7

    hook = NonFiniteLossHook()
    good = dict(state_dict=dict(w=torch.ones(2), steps=torch.tensor(3)))
    hook.before_save_checkpoint(_Runner(), good)
    bad = dict(
        state_dict=dict(w=torch.ones(2), b=torch.tensor([float('nan')])))
    with pytest.raises(
            FloatingPointError,
            match=r'iteration 7: 1 weight tensor\(s\) are not '
            r'finite \(b\)'):
        hook.before_save_checkpoint(_Runner(), bad)
