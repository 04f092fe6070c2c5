# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Every config builds, and each component swaps by config."""
import glob
import math
import os.path as osp
import subprocess
import textwrap

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from lodaa_plugin.models.dense_heads.fcos_reg_centerness_head import \
    NOT_IN_MMDET_FCOS_HEAD
from lodaa_testing import PYTHON, REPO_ROOT, python_env

DETECTION_CONFIGS = ['configs/fcos_voc.py', 'configs/fcos_voc_224.py']


def _build(cfg):
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _loss(model, size=128):
    from mmdet.structures import DetDataSample
    sample = DetDataSample(
        metainfo=dict(img_shape=(size, size), pad_shape=(size, size)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[10., 20., 90., 110.]]), labels=torch.tensor([3]))
    sample.ignored_instances = InstanceData(
        bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    losses = model(torch.rand(1, 3, size, size), [sample], mode='loss')
    assert {'loss_cls', 'loss_bbox', 'loss_centerness'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    return losses


def test_all_configs_load():
    paths = sorted(
        p for p in glob.glob(
            osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in p)
    assert len(paths) >= 6
    for path in paths:
        cfg = Config.fromfile(path)
        assert cfg.custom_imports.imports == [
            'lodaa_plugin', 'lodaa_plugin.compat.enable',
            'lodaa_plugin.compat.enable_hints'
        ]


@pytest.mark.parametrize('path', DETECTION_CONFIGS)
def test_detection_configs_build_and_compute_losses(path):
    cfg = Config.fromfile(path)
    model = _build(cfg)
    assert type(model.bbox_head).__name__ == 'FCOSRegCenternessHead'
    assert type(model.backbone).__name__ == 'TorchvisionBackbone'
    _loss(model)


@pytest.mark.parametrize('path', DETECTION_CONFIGS)
def test_the_neck_feeds_every_head_level(path):
    """One neck map per head stride, of the size that stride gives: a
    mismatch would place the head's points off their features."""
    cfg = Config.fromfile(path)
    model = _build(cfg).eval()
    size = 224
    with torch.no_grad():
        maps = model.neck(model.backbone(torch.zeros(1, 3, size, size)))
    strides = model.bbox_head.strides
    assert [tuple(m.shape[-2:]) for m in maps] == [(math.ceil(size / s), ) * 2
                                                   for s in strides]
    assert len(model.bbox_head.regress_ranges) == len(strides)


def test_swap_backbone_for_mmdet_resnet():
    cfg = Config.fromfile('configs/fcos_voc_224.py')
    cfg.model.backbone = dict(
        type='ResNet', depth=18, out_indices=(1, 2, 3), frozen_stages=1)
    cfg.model.neck.in_channels = [128, 256, 512]
    model = _build(cfg)
    assert type(model.backbone).__name__ == 'ResNet'
    _loss(model)


def test_swap_backbone_for_another_torchvision_network():
    cfg = Config.fromfile('configs/fcos_voc_224.py')
    cfg.merge_from_dict({
        'model.backbone.model_name': 'resnet18',
        'model.neck.in_channels': [128, 256, 512]
    })
    model = _build(cfg)
    assert model.backbone.model_name == 'resnet18'
    _loss(model)


def test_swap_head_for_mmdet_fcos_head():
    cfg = Config.fromfile('configs/fcos_voc_224.py')
    cfg.model.bbox_head.type = 'FCOSHead'
    for key in NOT_IN_MMDET_FCOS_HEAD:
        cfg.model.bbox_head.pop(key, None)
    model = _build(cfg)
    assert type(model.bbox_head).__name__ == 'FCOSHead'
    _loss(model)


def test_change_neck_width():
    cfg = Config.fromfile('configs/fcos_voc_224.py')
    cfg.merge_from_dict({
        'model.neck.out_channels': 64,
        'model.bbox_head.in_channels': 64,
        'model.bbox_head.feat_channels': 64
    })
    model = _build(cfg)
    assert model.neck.fpn_convs[0].conv.out_channels == 64
    _loss(model)


@pytest.mark.slow
def test_reuse_from_a_config_outside_the_repo(tmp_path):
    """Another project's config pulls LODAA in with custom_imports only."""
    config = tmp_path / 'other_project' / 'my_fcos.py'
    config.parent.mkdir()
    config.write_text(
        textwrap.dedent('''
        custom_imports = dict(
            imports=['lodaa_plugin', 'lodaa_plugin.compat.enable'],
            allow_failed_imports=False)
        model = dict(
            type='FCOS',
            data_preprocessor=dict(type='DetDataPreprocessor'),
            backbone=dict(type='TorchvisionBackbone', model_name='resnet18'),
            neck=dict(type='FPN', in_channels=[128, 256, 512],
                      out_channels=32, num_outs=3),
            bbox_head=dict(type='FCOSRegCenternessHead', num_classes=3,
                           in_channels=32, feat_channels=32,
                           stacked_convs=1, strides=[8, 16, 32],
                           regress_ranges=((-1, 64), (64, 128), (128, 1e8)),
                           norm_cfg=None))
    '''))
    code = textwrap.dedent(f'''
        import sys
        from mmengine.config import Config
        assert 'lodaa_plugin' not in sys.modules
        cfg = Config.fromfile({str(config)!r})
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules
        register_all_modules()
        model = MODELS.build(cfg.model)
        print(type(model.bbox_head).__name__, type(model.backbone).__name__)
    ''')
    env = python_env()
    env['PYTHONPATH'] = ''  # only the installed package, not the checkout
    result = subprocess.run([PYTHON, '-c', code],
                            cwd=tmp_path,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'FCOSRegCenternessHead TorchvisionBackbone' in result.stdout
