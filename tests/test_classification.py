# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Multi-label VOC classification: simple CNN, linear probe, cached
features, difficult labels, configs and tools."""
import os.path as osp
import re

import numpy as np
import pytest
import torch
from conftest import PYTHON, REPO_ROOT, VOC07_ROOT, run_tool
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from lodaa_plugin.models import (DifficultAwareMultiLabelHead,
                                 LinearProbeClassifier, SimpleCNN)

VOC07 = osp.join(VOC07_ROOT, 'VOC2007')
CONFIGS = osp.join(REPO_ROOT, 'configs', 'classification')


def _cfg(name, **overrides):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    options = {
        'model.backbone.init_cfg': None,
        'train_dataloader.batch_size': 4,
        'train_cfg.max_epochs': 2,
    }
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({
            f'{loader}.dataset.data_root': VOC07,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False
        })
    options.update(overrides)
    cfg.merge_from_dict(options)
    return cfg


def _runner(cfg, tmp_path):
    from mmengine.runner import Runner
    cfg.work_dir = str(tmp_path)
    return Runner.from_cfg(cfg)


def test_simple_cnn_shapes():
    net = SimpleCNN(input_size=64)
    assert net(torch.rand(2, 3, 64, 64))[0].shape == (2, 128)
    assert [type(m).__name__ for m in net.features] == [
        'Conv2d', 'ReLU', 'AvgPool2d', 'Conv2d', 'ReLU', 'AvgPool2d'
    ]
    assert net.features[0].kernel_size == (5, 5)
    assert net.fc[1].in_features == 64 * 13 * 13
    with pytest.raises(ValueError, match='built for'):
        net(torch.rand(1, 3, 96, 96))


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
                       ('positive', torch.tensor([[0., 1, 1], [1, 0, 1]]),
                        torch.ones(2, 3))):
        head = DifficultAwareMultiLabelHead(3, 4, difficult=mode)
        target, weight = head.targets(samples, scores.device)
        assert torch.equal(target, t) and torch.equal(weight, w), mode
        loss = head._get_loss(scores, samples)['loss']
        manual = torch.nn.functional.binary_cross_entropy_with_logits(
            scores, t, reduction='none')
        assert loss.item() == pytest.approx((manual * w).sum().item() / 2)
    with pytest.raises(ValueError, match='difficult must be'):
        DifficultAwareMultiLabelHead(3, 4, difficult='drop')


def test_dataset_labels_skip_difficult_only_classes():
    from lodaa_plugin.datasets import LodaaVOCClsDataset
    ds = LodaaVOCClsDataset(data_root=VOC07, split='test', test_mode=True)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    both = [i for i in infos if len(i['gt_label_difficult'])]
    assert both, 'the sample has images with difficult-only classes'
    for info in infos:
        assert not set(info['gt_label']) & set(info['gt_label_difficult'])


def test_linear_probe_trains_only_the_head(tmp_path):
    init_default_scope('mmpretrain')
    cfg = _cfg('resnet18_linear_probe_voc07.py')
    cfg.train_cfg.type = 'EpochBasedTrainLoop'  # the uncached path
    runner = _runner(cfg, tmp_path)
    model = runner.model
    assert isinstance(model, LinearProbeClassifier)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ['head.fc.weight', 'head.fc.bias']
    before = {k: v.clone() for k, v in model.state_dict().items()}
    runner.train()
    assert not model.backbone.training
    model.train()
    assert not any(m.training for m in model.backbone.modules())
    changed = [k for k, v in model.state_dict().items()
               if not torch.equal(v, before[k])]
    assert sorted(changed) == ['head.fc.bias', 'head.fc.weight']
    bn_stats = [k for k in before if 'running_mean' in k]
    assert bn_stats and not set(bn_stats) & set(changed)


def test_cached_features_equal_the_uncached_path(tmp_path):
    init_default_scope('mmpretrain')
    cfg = _cfg('resnet18_linear_probe_voc07.py')
    runner = _runner(cfg, tmp_path)
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
        torch.testing.assert_close(logits[0], cached_logits[row], rtol=0,
                                   atol=1e-5)


def test_cached_loop_refuses_random_pipelines(tmp_path):
    init_default_scope('mmpretrain')
    cfg = _cfg('resnet18_linear_probe_voc07.py')
    cfg.train_dataloader.dataset.pipeline.insert(
        1, dict(type='RandomFlip', prob=0.5, direction='horizontal'))
    runner = _runner(cfg, tmp_path)
    with pytest.raises(ValueError, match=r"\['RandomFlip'\] draw random"):
        runner.train_loop


def test_finetune_config_trains_every_layer(tmp_path):
    init_default_scope('mmpretrain')
    cfg = _cfg('resnet18_finetune_voc07.py', **{'train_cfg.max_epochs': 1,
                                                'train_cfg.val_interval': 1})
    runner = _runner(cfg, tmp_path)
    assert all(p.requires_grad for p in runner.model.parameters())
    before = runner.model.backbone.conv1.weight.clone()
    runner.train()
    assert not torch.equal(before, runner.model.backbone.conv1.weight)


def test_simple_cnn_train_then_test_prints_table(tmp_path):
    config = osp.join(CONFIGS, 'simple_cnn_voc07.py')
    data = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        data += [f'{loader}.dataset.data_root={VOC07}',
                 f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    run_tool([PYTHON, osp.join(REPO_ROOT, 'tools', 'train.py'), config,
              '--work-dir', str(tmp_path), '--cfg-options', *data,
              'train_cfg.max_epochs=2', 'train_dataloader.batch_size=4'],
             cwd=tmp_path)
    output = run_tool([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'test.py'), config,
        str(tmp_path / 'epoch_2.pth'), '--work-dir', str(tmp_path),
        '--cfg-options', *data
    ], cwd=tmp_path)
    assert re.search(r'\| person\s+\| [\d.]+\s+\| 6\s+\|', output), output[-3000:]
    assert 'multi-label/mAP:' in output and 'f1-score' in output
    # t-SNE of the trained model's pooled features, on the test split
    out_dir = tmp_path / 'tsne'
    run_tool([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'analysis', 'tsne.py'), config,
        str(tmp_path / 'epoch_2.pth'), '--num-images', '10', '--out-dir',
        str(out_dir), '--stage', 'backbone', '--cfg-options',
        f'test_dataloader.dataset.data_root={VOC07}'
    ], cwd=tmp_path)
    result = np.load(out_dir / 'simple_cnn_voc07_tsne.npz')
    assert result['embedding'].shape == (10, 2)
    assert result['features'].shape == (10, 128)
    assert result['labels'].shape == (10, 20)
    assert (result['labels'].sum(1) >= 1).all()
    assert (out_dir / 'simple_cnn_voc07_tsne.png').stat().st_size > 10000


@pytest.mark.parametrize('config', [
    'simple_cnn_voc07.py', 'resnet18_linear_probe_voc07.py',
    'resnet18_finetune_voc07.py'
])
def test_configs_train_on_the_embedded_dataset(tmp_path, config):
    from lodaa_plugin.datasets.synthetic_voc import make_synthetic_voc
    root = make_synthetic_voc(str(tmp_path / 'data'), 16, 8, seed=1,
                              progress=False)
    init_default_scope('mmpretrain')
    cfg = _cfg(config, **{
        'model.head.num_classes': 5,
        'data_preprocessor.num_classes': 5,
        'train_cfg.val_interval': 2,
    })
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = osp.join(root, 'VOC2007')
    runner = _runner(cfg, tmp_path / 'work')
    runner.train()
    metrics = runner.test()
    assert runner.test_dataloader.dataset.metainfo['classes'][0] == 'ellipse'
    assert 0 <= metrics['multi-label/mAP'] <= 100
    assert len(metrics['multi-label/AP_classwise']) == 5
