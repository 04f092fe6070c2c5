# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The tools that draw: loss curves, detections on images, t-SNE."""
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from lodaa_testing import PYTHON, REPO_ROOT, VOC07_ROOT, run_tool


@pytest.mark.slow
def test_plot_losses_from_a_training_run(tmp_path, trained_fcos):
    work_dir, _ = trained_fcos
    out = tmp_path / 'losses.png'
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'analysis', 'plot_losses.py'), work_dir,
        '--out',
        str(out)
    ],
                      cwd=tmp_path)
    assert 'scalars.json' in output
    img = Image.open(out)
    assert img.size[0] > 500 and img.size[1] > 300


@pytest.mark.slow
def test_image_demo_and_detector_tsne(tmp_path, trained_fcos):
    work_dir, data_root = trained_fcos
    config = osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py')
    checkpoint = osp.join(work_dir, 'iter_100.pth')
    images = osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '00000*.jpg')
    out = tmp_path / 'out'
    run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'image_demo.py'), images, config,
        checkpoint, '--out-dir',
        str(out), '--score-thr', '0.2'
    ],
             cwd=tmp_path)
    result = json.loads((out / 'predictions.json').read_text())
    import glob
    assert len(result['images']) == len(glob.glob(images)) > 1
    for record in result['images']:
        assert osp.isfile(record['drawn'])
        for det in record['detections']:
            assert det['score'] >= 0.2 and len(det['bbox']) == 4
    # the overfit images get their objects back
    five = [r for r in result['images'] if '000005' in r['image']][0]
    best = max(five['detections'], key=lambda d: d['score'])
    assert best['label'] == 'chair'  # the only class of 000005
    tsne_dir = tmp_path / 'tsne'
    run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'analysis',
                 'tsne.py'), config, checkpoint, '--out-dir',
        str(tsne_dir), '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}'
    ],
             cwd=tmp_path)
    npz = np.load(tsne_dir / 'fcos_voc_224_tsne.npz')
    assert npz['features'].shape == (12, 400)  # RegNetX-400MF block4
