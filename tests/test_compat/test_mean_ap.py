# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""mmdet's eval_map matches boxes in this process under serial_eval_map."""
import numpy as np
import pytest
from mmdet.evaluation.functional import eval_map, mean_ap

from lodaa_plugin.compat.mean_ap import serial_eval_map


def test_eval_map_forks_nothing_inside_and_is_restored_after(monkeypatch):

    def no_fork(*args, **kwargs):
        raise AssertionError('eval_map started a process pool')

    # mean_ap's own name for multiprocessing.Pool
    monkeypatch.setattr(mean_ap, 'Pool', no_fork)
    box = np.array([[0, 0, 10, 10]], np.float32)
    dets = [[np.array([[0, 0, 10, 10, 0.9]], np.float32)]] * 2
    gts = [dict(bboxes=box, labels=np.array([0]))] * 2
    original = mean_ap.Pool
    with serial_eval_map():
        mean, _ = eval_map(dets, gts, nproc=1, logger='silent')
    assert mean == pytest.approx(1.0)
    assert mean_ap.Pool is original
    # without it, mmdet forks for two images even with nproc=1
    with pytest.raises(AssertionError, match='process pool'):
        eval_map(dets, gts, nproc=1, logger='silent')
