# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""tools/analysis/confusion_matrix.py, analyze_results.py and
browse_dataset.py on a trained model and real VOC photos."""
import glob
import json
import os.path as osp
import re

import mmcv
import numpy as np
import pytest
from PIL import Image

from lodaa_testing import (PYTHON, config_path, data_options, run_tool,
                           tool_path)


@pytest.fixture(scope='module')
def saved_detections(trained_fcos, tmp_path_factory):
    """tools/test.py --out on the trained model; its output and the pkl."""
    work_dir, data_root = trained_fcos
    out = tmp_path_factory.mktemp('detections')
    output = run_tool([
        PYTHON,
        tool_path('test.py'),
        config_path('fcos_voc_224.py'),
        osp.join(work_dir, 'iter_100.pth'), '--work-dir',
        str(out), '--out',
        str(out / 'preds.pkl'), '--cfg-options',
        *data_options(data_root, 'four.txt'), 'model.backbone.init_cfg=None'
    ],
                      cwd=str(out))
    return output, str(out / 'preds.pkl'), data_root


@pytest.mark.slow
def test_confusion_matrix_diagonal_equals_the_metrics_hits(
        tmp_path, saved_detections):
    output, preds, data_root = saved_detections
    run_tool([
        PYTHON,
        tool_path('analysis/confusion_matrix.py'),
        config_path('fcos_voc_224.py'), preds, '--out-dir',
        str(tmp_path), '--score-thr', '0', '--cfg-options',
        *data_options(data_root, 'four.txt')
    ],
             cwd=str(tmp_path))
    saved = json.loads((tmp_path / 'confusion_matrix.json').read_text())
    matrix = np.array(saved['matrix'])
    assert (tmp_path / 'confusion_matrix.png').stat().st_size > 10_000
    # the metric's table: class, gts, dets, recall, ap; with every
    # detection kept, found boxes = recall x boxes per class
    rows = re.findall(r'\| (\w+) +\| (\d+) +\| (\d+) +\| ([\d.]+) +\|', output)
    table = {name: (int(gts), float(recall)) for name, gts, _, recall in rows}
    for c, name in enumerate(saved['classes'][:-1]):
        gts, recall = table[name]
        assert matrix[c].sum() == gts
        assert matrix[c, c] == round(recall * gts), name
    assert matrix.diagonal()[:-1].sum() > 0


@pytest.mark.slow
def test_analyze_results_draws_best_and_worst(tmp_path, saved_detections):
    _, preds, data_root = saved_detections
    output = run_tool([
        PYTHON,
        tool_path('analysis/analyze_results.py'),
        config_path('fcos_voc_224.py'), preds,
        str(tmp_path), '--topk', '2', '--cfg-options',
        *data_options(data_root, 'four.txt')
    ],
                      cwd=str(tmp_path))
    ranked = json.loads((tmp_path / 'per_image_ap.json').read_text())
    assert len(ranked) == 4
    aps = [r['ap'] for r in ranked]
    assert aps == sorted(aps, reverse=True)
    for name in ('best', 'worst'):
        drawn = [
            Image.open(p).size
            for p in sorted(glob.glob(str(tmp_path / name / '*.png')))
        ]
        assert len(drawn) == 2
        assert all(max(size) == 480 for size in drawn)  # the sheet's size
        # each image whole on the sheet, side by side
        assert Image.open(tmp_path /
                          f'{name}.png').size == (2 * max(w for w, _ in drawn),
                                                  max(h for _, h in drawn))
    assert f'{ranked[0]["ap"]:.3f}' in output


@pytest.mark.slow
def test_browse_dataset_draws_the_pipeline_output(tmp_path, four_image_voc):
    """Every training image flipped: the drawing is the resized photo,
    mirrored, in RGB, with only the boxes and labels drawn over it."""
    run_tool([
        PYTHON,
        tool_path('analysis/browse_dataset.py'),
        config_path('fcos_voc_224.py'), '--output-dir',
        str(tmp_path), '--show-number', '2', '--cfg-options',
        *data_options(four_image_voc, 'four.txt'),
        'train_dataloader.dataset.pipeline.3.prob=1.0'
    ],
             cwd=str(tmp_path))
    drawings = sorted(glob.glob(str(tmp_path / '0000*.png')))
    assert len(drawings) == 2 and (tmp_path / 'browse.png').is_file()
    for drawing in drawings:
        stem = osp.basename(drawing)[6:-4]
        photo = mmcv.imread(
            osp.join(four_image_voc, 'VOC2007', 'JPEGImages', f'{stem}.jpg'),
            channel_order='rgb')
        expected = mmcv.imresize(photo, (224, 224))[:, ::-1]
        drawn = np.asarray(Image.open(drawing).convert('RGB'))
        assert drawn.shape == expected.shape
        same = (drawn == expected).all(axis=2).mean()
        assert same > 0.75, f'{stem}: {same:.2f} of the pixels as expected'
        unflipped = (drawn == expected[:, ::-1]).all(axis=2).mean()
        assert unflipped < 0.5
