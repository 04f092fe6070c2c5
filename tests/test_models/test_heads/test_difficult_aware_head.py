# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""DifficultAwareMultiLabelHead ignores, negates or counts difficult-only
classes as asked."""
import pytest
import torch
from mmpretrain.structures import DataSample

from lodaa_plugin.models import DifficultAwareMultiLabelHead


def _sample(labels, difficult):
    sample = DataSample(metainfo=dict(gt_label_difficult=difficult))
    return sample.set_gt_label(labels)


def test_difficult_labels_ignored_negative_or_positive():
    torch.manual_seed(0)
    samples = [_sample([1], [2]), _sample([0, 2], [])]
    scores = torch.randn(2, 3)
    expected_target = torch.tensor([[0., 1, 0], [1, 0, 1]])
    for mode, t, w in (('ignore', expected_target,
                        torch.tensor([[1., 1, 0], [1, 1, 1]])),
                       ('negative', expected_target, torch.ones(2, 3)),
                       ('positive', torch.tensor([[0., 1, 1],
                                                  [1, 0,
                                                   1]]), torch.ones(2, 3))):
        head = DifficultAwareMultiLabelHead(3, 4, difficult=mode)
        target, weight = head.targets(samples, scores.device)
        assert torch.equal(target, t) and torch.equal(weight, w), mode
        loss = head._get_loss(scores, samples)['loss']
        manual = torch.nn.functional.binary_cross_entropy_with_logits(
            scores, t, reduction='none')
        assert loss.item() == pytest.approx((manual * w).sum().item() / 2)
    with pytest.raises(ValueError, match='difficult must be'):
        DifficultAwareMultiLabelHead(3, 4, difficult='drop')
