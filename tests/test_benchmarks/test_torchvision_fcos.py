# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""torchvision's FCOS as the twin of a LODAA config computes the same
network once it has LODAA's weights."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from lodaa_plugin.benchmarks.torchvision_fcos import (build_lodaa,
                                                      build_torchvision_fcos,
                                                      head_outputs,
                                                      share_weights)
from lodaa_plugin.testing import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py')


@pytest.mark.parametrize(
    'config',
    ['fcos_voc_224.py', 'fcos_voc.py', 'demo/fcos_synthetic_demo.py'])
def test_torchvision_twin_with_shared_weights_is_the_same_network(config):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', config))
    torch.manual_seed(0)
    lodaa = build_lodaa(cfg).eval()
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
    lodaa = build_lodaa(cfg)
    tv = build_torchvision_fcos(cfg, 128)
    with torch.no_grad():
        lodaa.bbox_head.scales[1].scale.fill_(2.)
    with pytest.raises(ValueError, match='per-level scales'):
        share_weights(lodaa, tv)
