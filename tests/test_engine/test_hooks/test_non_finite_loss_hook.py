# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""NonFiniteLossHook stops (or skips) a step whose loss is NaN / inf."""
import re

import numpy as np
import pytest

from lodaa_plugin.testing.toy import final_weights, run_toy


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
