# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""TorchvisionBackbone is torchvision's network: names, taps, weights,
normalisation."""
import os.path as osp

import numpy as np
import pytest
import torch
import torchvision
from mmengine.config import Config
from torchvision.models.feature_extraction import create_feature_extractor

from lodaa_plugin.models import TorchvisionBackbone
from lodaa_testing import VOC07_ROOT

pytestmark = pytest.mark.usefixtures('mmdet_scope')

REGNET_URL_FILE = 'regnet_x_400mf-adf1edd5.pth'


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """A TORCH_HOME whose hub cache holds torchvision's RegNetX-400MF file
    (random weights saved in torchvision's format: no download here)."""
    torch.manual_seed(0)
    reference = torchvision.models.regnet_x_400mf()
    # non-trivial BatchNorm statistics, as in real ImageNet weights
    for module in reference.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    ckpt_dir = tmp_path / 'hub' / 'checkpoints'
    ckpt_dir.mkdir(parents=True)
    torch.save(reference.state_dict(), ckpt_dir / REGNET_URL_FILE)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    return reference.eval()


def test_regnet_stages_channels_and_strides():
    backbone = TorchvisionBackbone(out_indices=(0, 1, 2, 3)).eval()
    feats = backbone(torch.rand(1, 3, 224, 224))
    assert [f.shape[1] for f in feats] == [32, 64, 160, 400]
    assert [224 // f.shape[-1] for f in feats] == [4, 8, 16, 32]
    assert backbone.out_channels() == [32, 64, 160, 400]


def test_parameter_names_equal_torchvision():
    backbone = TorchvisionBackbone()
    reference = torchvision.models.regnet_x_400mf().state_dict()
    ours = backbone.state_dict()
    assert set(ours) <= set(reference)
    assert set(reference) - set(ours) == {'fc.weight', 'fc.bias'}


def test_pretrained_torchvision_uri_loads_and_features_match(torch_home):
    """configs/fcos_voc.py's backbone equals torchvision's own extractor."""
    from mmdet.registry import MODELS
    cfg = Config.fromfile('configs/fcos_voc.py')
    assert cfg.model.backbone.init_cfg.checkpoint == \
        'torchvision://regnet_x_400mf.imagenet1k_v1'
    backbone = MODELS.build(cfg.model.backbone)
    backbone.init_weights()
    reference = torch_home
    for name, value in backbone.state_dict().items():
        torch.testing.assert_close(
            value, reference.state_dict()[name], rtol=0, atol=0, msg=name)
    backbone.eval()
    extractor = create_feature_extractor(
        reference, {f'trunk_output.block{i}': str(i)
                    for i in (2, 3, 4)})
    x = torch.rand(2, 3, 256, 320)
    with torch.no_grad():
        ours = backbone(x)
        theirs = list(extractor(x).values())
    assert [o.shape[1] for o in ours] == [64, 160, 400]
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_local_pth_of_torchvision_state_dict(tmp_path):
    torch.manual_seed(1)
    resnet = torchvision.models.resnet18()
    path = tmp_path / 'resnet18.pth'
    torch.save(resnet.state_dict(), path)
    backbone = TorchvisionBackbone(
        'resnet18', init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    backbone.init_weights()
    torch.testing.assert_close(backbone.layer4[1].conv2.weight,
                               resnet.layer4[1].conv2.weight)


def test_frozen_stages_and_norm_eval():
    backbone = TorchvisionBackbone(frozen_stages=1, norm_eval=True)
    backbone.train()
    assert not any(p.requires_grad for p in backbone.stem.parameters())
    assert not any(p.requires_grad
                   for p in backbone.trunk_output.block1.parameters())
    assert all(p.requires_grad
               for p in backbone.trunk_output.block2.parameters())
    bns = [
        m for m in backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)
    ]
    assert bns and not any(bn.training for bn in bns)
    stats = [bn.running_mean.clone() for bn in bns]
    backbone(torch.rand(2, 3, 64, 64) * 5)
    for bn, before in zip(bns, stats):
        torch.testing.assert_close(bn.running_mean, before, rtol=0, atol=0)


def test_other_torchvision_networks():
    resnet = TorchvisionBackbone('resnet18', out_indices=(1, 2, 3))
    assert resnet.out_channels() == [128, 256, 512]
    mobilenet = TorchvisionBackbone(
        'mobilenet_v3_small',
        stages=('features.3', 'features.8', 'features.12'),
        out_indices=(0, 1, 2))
    feats = mobilenet(torch.rand(1, 3, 224, 224))
    assert [224 // f.shape[-1] for f in feats] == [8, 16, 32]
    with pytest.raises(ValueError, match='not a torchvision'):
        TorchvisionBackbone('regnet_x_401mf')
    with pytest.raises(ValueError, match='pass `stages`'):
        TorchvisionBackbone('mobilenet_v3_small')


def test_preprocessor_matches_torchvision_normalisation():
    """BGR uint8 from the loader becomes torchvision's ImageNet input."""
    import mmcv
    from mmdet.registry import MODELS
    cfg = Config.fromfile('configs/fcos_voc.py')
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    bgr = mmcv.imread(osp.join(VOC07_ROOT, 'VOC2007/JPEGImages/000001.jpg'))
    h, w = bgr.shape[:2]
    data = preprocessor(
        dict(inputs=[torch.from_numpy(bgr).permute(2, 0, 1).contiguous()]),
        training=False)
    ours = data['inputs'][0, :, :h, :w]
    rgb = torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])).permute(
        2, 0, 1).float() / 255
    theirs = torchvision.transforms.Normalize(
        mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))(
            rgb)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-5)
