# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LinearProbeClassifier trains its linear layer only."""
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from lodaa_plugin.models import LinearProbeClassifier
from lodaa_testing import VOC07_ROOT
from lodaa_testing.configs import classification_config

VOC07 = osp.join(VOC07_ROOT, 'VOC2007')


@pytest.mark.slow
def test_linear_probe_trains_only_the_head(tmp_path):
    init_default_scope('mmpretrain')
    cfg = classification_config(
        'resnet18/resnet18_linear-probe_1xb64-50e_voc07.py')
    cfg.train_cfg.type = 'EpochBasedTrainLoop'  # the uncached path
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert isinstance(model, LinearProbeClassifier)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ['head.fc.weight', 'head.fc.bias']
    before = {k: v.clone() for k, v in model.state_dict().items()}
    runner.train()
    assert not model.backbone.training
    model.train()
    assert not any(m.training for m in model.backbone.modules())
    changed = [
        k for k, v in model.state_dict().items()
        if not torch.equal(v, before[k])
    ]
    assert sorted(changed) == ['head.fc.bias', 'head.fc.weight']
    bn_stats = [k for k in before if 'running_mean' in k]
    assert bn_stats and not set(bn_stats) & set(changed)
