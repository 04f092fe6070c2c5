# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""--ema, --tta and --vis-backend: the config edits and what they do."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from lodaa_plugin.utils.config_edits import (add_vis_backends, enable_ema,
                                             enable_flip_tta,
                                             flip_tta_pipeline)
from lodaa_plugin.utils.config_loading import read_config
from lodaa_testing import config_path, data_options


def test_ema_hook_is_added_once():
    cfg = Config(dict(custom_hooks=[dict(type='NonFiniteLossHook')]))
    enable_ema(cfg)
    enable_ema(cfg)
    types = [h['type'] for h in cfg.custom_hooks]
    assert types == ['NonFiniteLossHook', 'EMAHook']
    assert cfg.custom_hooks[1]['ema_type'] == 'mmdet.ExpMomentumEMA'


def test_flip_pipeline_puts_the_unflipped_view_first():
    cfg = read_config(config_path('fcos_voc_224.py'))
    pipeline = flip_tta_pipeline(cfg.test_pipeline)
    assert [t['type'] for t in pipeline[:-1]
            ] == [t['type'] for t in cfg.test_pipeline[:-1]]
    flips, packs = pipeline[-1]['transforms']
    assert [f['prob'] for f in flips] == [0., 1.]
    assert {'flip', 'flip_direction',
            'scale_factor'} <= set(packs[0]['meta_keys'])
    # the config itself is not changed
    assert 'flip' not in cfg.test_pipeline[-1]['meta_keys']


def test_tta_wraps_the_model_and_the_test_data():
    cfg = read_config(config_path('fcos_voc_224.py'))
    detector = cfg.model.copy()
    enable_flip_tta(cfg)
    assert cfg.model.type == 'DetTTAModel'
    assert cfg.model.module == detector
    assert cfg.test_dataloader.dataset.pipeline[-1]['type'] == 'TestTimeAug'

    cls_cfg = read_config(
        config_path('resnet18/resnet18_linear-probe_1xb64-50e_voc07.py'))
    enable_flip_tta(cls_cfg)
    assert cls_cfg.model.type == 'AverageClsScoreTTA'
    packs = cls_cfg.test_dataloader.dataset.pipeline[-1]['transforms'][1]
    assert packs[0]['type'] == 'PackInputs'


def test_vis_backends_wandb_offline_by_default(monkeypatch):
    monkeypatch.delenv('WANDB_MODE', raising=False)
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: object())
    cfg = Config(
        dict(visualizer=dict(vis_backends=[dict(type='LocalVisBackend')])))
    add_vis_backends(cfg, ['tensorboard', 'wandb', 'wandb'])
    types = [b['type'] for b in cfg.visualizer.vis_backends]
    assert types == [
        'LocalVisBackend', 'TensorboardVisBackend', 'WandbVisBackend'
    ]
    assert cfg.visualizer.vis_backends[2]['init_kwargs']['mode'] == 'offline'
    monkeypatch.setenv('WANDB_MODE', 'online')
    cfg = Config(dict(visualizer=dict(vis_backends=[])))
    add_vis_backends(cfg, ['wandb'])
    assert cfg.visualizer.vis_backends[0]['init_kwargs']['mode'] == 'online'


def test_missing_vis_backend_package_names_the_extra(monkeypatch):
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
    cfg = Config(dict(visualizer=dict(vis_backends=[])))
    with pytest.raises(ImportError, match=r"tensorboard.*\.\[vis\]"):
        add_vis_backends(cfg, ['tensorboard'])


@pytest.mark.slow
def test_flip_tta_is_flip_equivariant(tmp_path, trained_fcos, mmdet_scope):
    """TTA of an image and of its mirror see the same boxes (each view's own
    and the other's flipped back), so their merged outputs mirror each other
    exactly; a view merged without flipping it back breaks this."""
    from mmcv.transforms import Compose
    from mmdet.registry import MODELS

    from lodaa_plugin.apis import load_checkpoint_strict
    work_dir, data_root = trained_fcos
    cfg = read_config(config_path('fcos_voc_224.py'))
    cfg.merge_from_dict(
        dict(o.split('=', 1) for o in data_options(data_root, 'four.txt')))
    cfg.model.backbone.init_cfg = None
    enable_flip_tta(cfg)
    model = MODELS.build(cfg.model).eval()
    load_checkpoint_strict(model.module, osp.join(work_dir, 'iter_100.pth'))
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)

    # 224 x 224: the resize is the identity, so the mirror is pixel-exact
    photo = osp.join(data_root, 'VOC2007', 'JPEGImages', '000005.jpg')
    pixels = np.asarray(Image.open(photo).convert('RGB'))[:224, :224]
    outputs = []
    for name, image in (('plain', pixels), ('mirror', pixels[:, ::-1])):
        path = str(tmp_path / f'{name}.png')
        Image.fromarray(np.ascontiguousarray(image)).save(path)
        views = pipeline(dict(img_path=path, img_id=name, instances=[]))
        batch = dict(
            inputs=[[v] for v in views['inputs']],
            data_samples=[[v] for v in views['data_samples']])
        with torch.no_grad():
            outputs.append(model.test_step(batch)[0].pred_instances)
    plain, mirror = outputs
    assert len(plain) > 0 and len(plain) == len(mirror)
    top = plain.scores > 0.05
    assert top.sum() > 0
    mirrored = mirror.bboxes[:, [2, 1, 0, 3]] * torch.tensor([-1, 1, -1, 1])
    mirrored[:, [0, 2]] += 224
    torch.testing.assert_close(plain.scores, mirror.scores)
    torch.testing.assert_close(
        plain.bboxes[top], mirrored[top], atol=1e-3, rtol=0)
    assert torch.equal(plain.labels[top], mirror.labels[top])


def test_amp_selects_the_cpu_wrapper_without_a_gpu():
    from mmengine.optim import build_optim_wrapper

    from lodaa_plugin.compat import CPUAmpOptimWrapper
    from lodaa_plugin.utils.config_edits import enable_amp
    if torch.cuda.is_available():
        pytest.skip('checks the CPU-only behaviour')
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1))))
    enable_amp(cfg)
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 1), cfg.optim_wrapper)
    assert type(wrapper) is CPUAmpOptimWrapper
