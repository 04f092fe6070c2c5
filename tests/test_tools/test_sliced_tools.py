# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""--slice in tools/test.py and tools/image_demo.py, end to end on real VOC
photos, with random weights that score every location (score_thr 0)."""
import json
import os.path as osp

import numpy as np

from lodaa_testing import (PYTHON, REPO_ROOT, config_path, data_options,
                           run_tool)

RANDOM = ['model.backbone.init_cfg=None', 'model.test_cfg.score_thr=0.0']


def _random_checkpoint(tmp_path) -> str:
    import torch
    from mmdet.datasets import VOCDataset
    from mmengine.config import Config

    from lodaa_plugin.utils.builders import build_model_without_weights
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    cfg.model.backbone.init_cfg = None
    model, _ = build_model_without_weights(cfg)
    checkpoint = tmp_path / 'random.pth'
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=VOCDataset.METAINFO)), checkpoint)
    return str(checkpoint)


def test_sliced_test_scores_like_unsliced_on_images_of_one_tile(
        tmp_path, four_image_voc):
    from lodaa_plugin.evaluation.analysis.safe_pickle import \
        load_detections_pickle
    checkpoint = _random_checkpoint(tmp_path)
    results = {}
    for name, extra in (('plain', []), ('sliced', ['--slice', '600'])):
        out = tmp_path / f'{name}.pkl'
        output = run_tool([
            PYTHON,
            osp.join(REPO_ROOT, 'tools', 'test.py'),
            config_path('fcos_voc_224.py'), checkpoint, *extra, '--out',
            str(out), '--work-dir',
            str(tmp_path / name), '--cfg-options',
            *data_options(four_image_voc, 'four.txt'), *RANDOM
        ],
                          cwd=tmp_path)
        assert 'pascal_voc/mAP' in output
        results[name] = load_detections_pickle(str(out))
    # VOC photos are at most 500 pixels: one tile each, the same boxes
    assert len(results['plain']) == len(results['sliced']) == 4
    for plain, sliced in zip(results['plain'], results['sliced']):
        a, b = plain['pred_instances'], sliced['pred_instances']
        assert len(a['bboxes']) == 100
        np.testing.assert_allclose(b['bboxes'], a['bboxes'], atol=1e-3)
        np.testing.assert_allclose(b['scores'], a['scores'], atol=1e-5)
        np.testing.assert_array_equal(b['labels'], a['labels'])


def test_image_demo_slices_a_large_image(tmp_path):
    import cv2
    image = np.random.RandomState(0).randint(0, 255, (700, 900, 3), np.uint8)
    path = str(tmp_path / 'big.png')
    cv2.imwrite(path, image)
    from mmengine.config import Config
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg.score_thr = 0.0
    cfg.model.test_cfg.max_per_img = 30
    config = str(tmp_path / 'random_weights.py')
    cfg.dump(config)
    checkpoint = _random_checkpoint(tmp_path)
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools',
                 'image_demo.py'), path, config, checkpoint, '--slice', '256',
        '--overlap', '0.25', '--score-thr', '0', '--out-dir',
        str(tmp_path / 'out'), '--no-labels'
    ],
                      cwd=tmp_path)
    assert '1 image(s) drawn' in output
    found = json.load(open(tmp_path / 'out' / 'predictions.json'))
    boxes = np.array([d['bbox'] for d in found['images'][0]['detections']])
    # merged across the 12 tiles, max_per_img after the merge, boxes in
    # the whole image's pixels (beyond one tile's)
    assert len(boxes) == 30
    assert boxes[:, 2].max() > 256 and boxes[:, 3].max() > 256
    assert (boxes[:, 2] <= 900).all() and (boxes[:, 3] <= 700).all()
