# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""CachedFeatureTrainLoop trains as the plain loop does, and refuses
random pipelines."""
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from lodaa_testing import VOC07_ROOT
from lodaa_testing.configs import classification_config

VOC07 = osp.join(VOC07_ROOT, 'VOC2007')


def test_cached_features_equal_the_uncached_path(tmp_path):
    init_default_scope('mmpretrain')
    cfg = classification_config(
        'resnet18/resnet18_linear-probe_1xb64-50e_voc07.py')
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    torch.manual_seed(0)
    runner.model.head.init_weights()
    loop = runner.train_loop
    loop.build_cache()
    model = runner.model.eval()
    cached_logits = model.logits_on_features(loop.features)
    dataset = runner.train_dataloader.dataset
    assert len(loop.data_samples) == len(dataset)
    by_path = {s.img_path: i for i, s in enumerate(loop.data_samples)}
    from mmengine.dataset import pseudo_collate
    for index in range(len(dataset)):
        data = model.data_preprocessor(pseudo_collate([dataset[index]]), False)
        logits = model(data['inputs'], mode='tensor')
        row = by_path[dataset.get_data_info(index)['img_path']]
        torch.testing.assert_close(
            logits[0], cached_logits[row], rtol=0, atol=1e-5)


def test_cached_loop_refuses_random_pipelines(tmp_path):
    init_default_scope('mmpretrain')
    cfg = classification_config(
        'resnet18/resnet18_linear-probe_1xb64-50e_voc07.py')
    cfg.train_dataloader.dataset.pipeline.insert(
        1, dict(type='RandomFlip', prob=0.5, direction='horizontal'))
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r"\['RandomFlip'\] draw random"):
        runner.train_loop
