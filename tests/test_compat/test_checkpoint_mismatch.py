# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Loading a checkpoint of another model names the mismatched keys."""
import os.path as osp

from lodaa_testing import REPO_ROOT


def test_checkpoint_of_another_model_lists_the_mismatched_keys(tmp_path):
    import torchvision
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmengine.runner.checkpoint import save_checkpoint

    from lodaa_testing import logged_warnings
    path = str(tmp_path / 'resnet18.pth')
    save_checkpoint(
        dict(state_dict=torchvision.models.resnet18().state_dict()), path)
    init_default_scope('mmdet')
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    with logged_warnings() as warnings:
        load_checkpoint(model, path, map_location='cpu', logger='current')
    text = '\n'.join(warnings)
    assert 'unexpected key in source state_dict: conv1.weight' in text
    assert 'missing keys in source state_dict: backbone.stem.0.weight' in text
