# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The classification configs train and test through tools/train.py and
tools/test.py on real VOC photos (random weights: no download here)."""
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from lodaa_testing import PYTHON, REPO_ROOT, VOC07_ROOT, config_path, run_tool
from lodaa_testing.configs import classification_config

VOC07 = osp.join(VOC07_ROOT, 'VOC2007')


@pytest.mark.slow
def test_finetune_config_trains_every_layer(tmp_path):
    init_default_scope('mmpretrain')
    cfg = classification_config(
        'resnet18/resnet18_finetune_1xb256-50e_voc07.py', **{
            'train_cfg.max_epochs': 1,
            'train_cfg.val_interval': 1
        })
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    assert all(p.requires_grad for p in runner.model.parameters())
    before = runner.model.backbone.conv1.weight.clone()
    runner.train()
    assert not torch.equal(before, runner.model.backbone.conv1.weight)


@pytest.mark.slow
def test_simple_cnn_train_then_test_prints_table(tmp_path):
    config = config_path('simple_cnn/simple-cnn_1xb64-30e_voc07-64px.py')
    data = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        data += [
            f'{loader}.dataset.data_root={VOC07}', f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False'
        ]
    run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'), config, '--work-dir',
        str(tmp_path), '--cfg-options', *data, 'train_cfg.max_epochs=2',
        'train_dataloader.batch_size=4'
    ],
             cwd=tmp_path)
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'test.py'), config,
        str(tmp_path / 'epoch_2.pth'), '--work-dir',
        str(tmp_path), '--cfg-options', *data
    ],
                      cwd=tmp_path)
    # AP with its 95% interval (12 test images)
    assert re.search(r'\| person\s+\| [\d.]+ \[[\d.]+, [\d.]+\]\s+\| 6\s+\|',
                     output), output[-3000:]
    assert 'multi-label/mAP:' in output and 'f1-score' in output
    # one mAP: the log's is the mean of the table's classes with positives
    table = output.split('mAP = mean AP of the')[-1]
    aps = [
        float(ap) for ap in re.findall(
            r'^\| \w[^|]*\| ([\d.]+) \[[^]]*\]\s+\| [1-9]\d*\s+\|', table,
            re.M)
    ]
    assert len(aps) == int(table.split()[0]) < 20
    assert 'left out of the mAP, no positive image:' in table
    logged = float(re.findall(r'multi-label/mAP: ([\d.]+)', output)[-1])
    assert logged == pytest.approx(np.mean(aps), abs=0.01)
    # t-SNE of the trained model's pooled features, on the test split
    out_dir = tmp_path / 'tsne'
    run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'analysis', 'tsne.py'), config,
        str(tmp_path / 'epoch_2.pth'), '--num-images', '10', '--out-dir',
        str(out_dir), '--stage', 'backbone', '--cfg-options',
        f'test_dataloader.dataset.data_root={VOC07}'
    ],
             cwd=tmp_path)
    result = np.load(out_dir / 'simple-cnn_1xb64-30e_voc07-64px_tsne.npz')
    assert result['embedding'].shape == (10, 2)
    assert result['features'].shape == (10, 128)
    assert result['labels'].shape == (10, 20)
    assert (result['labels'].sum(1) >= 1).all()
    assert (out_dir /
            'simple-cnn_1xb64-30e_voc07-64px_tsne.png').stat().st_size > 10000


@pytest.mark.slow
@pytest.mark.parametrize('config', [
    'simple_cnn/simple-cnn_1xb64-30e_voc07-64px.py',
    'resnet18/resnet18_linear-probe_1xb64-50e_voc07.py',
    'resnet18/resnet18_finetune_1xb256-50e_voc07.py'
])
def test_configs_train_on_the_embedded_dataset(tmp_path, config):
    from projects.synthetic_voc import make_synthetic_voc
    root = make_synthetic_voc(
        str(tmp_path / 'data'), 16, 8, seed=1, progress=False)
    init_default_scope('mmpretrain')
    cfg = classification_config(
        config, **{
            'model.head.num_classes': 5,
            'data_preprocessor.num_classes': 5,
            'train_cfg.val_interval': 2,
        })
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = osp.join(root, 'VOC2007')
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    assert runner.test_dataloader.dataset.metainfo['classes'][0] == 'ellipse'
    per_class = metrics['multi-label/AP_classwise']
    assert len(per_class) == 5
    # every class has a positive test image here: one mAP, the table's mean
    assert metrics['multi-label/mAP'] == pytest.approx(np.mean(per_class))
    assert metrics['multi-label/mAP_classes'] == 5
