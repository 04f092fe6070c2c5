# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""torchvision's FCOS as the twin of a LODAA config computes the same
network once it has LODAA's weights."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from lodaa_plugin.utils.builders import build_model_without_weights
from lodaa_testing import REPO_ROOT
from projects.benchmarks import torchvision_fcos as tv_fcos
from projects.benchmarks.torchvision_fcos import (build_torchvision_fcos,
                                                  head_outputs, share_weights)

CONFIG = osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py')


@pytest.mark.parametrize(
    'config',
    ['fcos_voc_224.py', 'fcos_voc.py', 'demo/fcos_synthetic_demo.py'])
def test_torchvision_twin_with_shared_weights_is_the_same_network(config):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', config))
    torch.manual_seed(0)
    lodaa = build_model_without_weights(cfg)[0].eval()
    tv = build_torchvision_fcos(cfg, 128).eval()
    images = [
        torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8)
        for _ in range(2)
    ]
    strides = cfg.model.bbox_head.strides
    apart = head_outputs(lodaa, tv, images, strides)
    assert not torch.allclose(*apart['cls'], atol=1e-3)

    share_weights(lodaa, tv)
    outputs = head_outputs(lodaa, tv, images, strides)
    # every level of every output, P6/P7 included for fcos_voc
    assert outputs['cls'][0].shape == (2, sum(
        (128 // s)**2 for s in strides), cfg.model.bbox_head.num_classes)
    for name, (ours, twin) in outputs.items():
        torch.testing.assert_close(ours, twin, rtol=1e-4, atol=1e-4, msg=name)


def test_share_weights_refuses_per_level_scales():
    cfg = Config.fromfile(CONFIG)
    lodaa = build_model_without_weights(cfg)[0]
    tv = build_torchvision_fcos(cfg, 128)
    with torch.no_grad():
        lodaa.bbox_head.scales[1].scale.fill_(2.)
    with pytest.raises(ValueError, match='per-level scales'):
        share_weights(lodaa, tv)


def test_at_torchvision_settings_the_losses_are_torchvision_s():
    # what still separates the two trainings once the box loss is set as
    # torchvision's: the location grid (mmdet's points sit at cell centres,
    # torchvision's anchors at cell corners) and the per-level scales, which
    # start at 1 and train in LODAA only
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'demo', 'fcos_synthetic_demo.py'))
    cfg.model.bbox_head.update(
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
        bbox_loss_weighting='mean')
    torch.manual_seed(0)
    lodaa = build_model_without_weights(cfg)[0].train()
    tv = build_torchvision_fcos(cfg, 128).train()
    share_weights(lodaa, tv)
    gen = torch.Generator().manual_seed(1)
    images = [
        torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8, generator=gen)
        for _ in range(4)
    ]
    targets = tv_fcos.random_targets(4, 128, 5,
                                     cfg.model.bbox_head.num_classes, gen)

    def losses(offset: float) -> list:
        lodaa.bbox_head.prior_generator.offset = offset
        with torch.no_grad():
            data = lodaa.data_preprocessor(
                tv_fcos.lodaa_batch([i.flip(0) for i in images], targets, 128),
                True)
            ours = lodaa.loss(data['inputs'], data['data_samples'])
            twin = tv([i.float() / 255 for i in images], [{
                k: v.clone()
                for k, v in t.items()
            } for t in targets])
        names = (('loss_cls', 'classification'),
                 ('loss_bbox', 'bbox_regression'), ('loss_centerness',
                                                    'bbox_ctrness'))
        return [(float(ours[a]), float(twin[b])) for a, b in names]

    for ours, twin in losses(0.0):
        assert ours == pytest.approx(twin, rel=1e-5)
    # mmdet's grid assigns other locations: the losses part
    assert any(ours != pytest.approx(twin, rel=1e-3)
               for ours, twin in losses(0.5))
