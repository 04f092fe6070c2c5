# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""`make demo`'s classification part and t-SNE view, at a tiny budget."""
import json
import os.path as osp

import pytest
from PIL import Image

from lodaa_testing import PYTHON, REPO_ROOT, run_tool


@pytest.mark.slow
def test_classification_demo_writes_its_summary_and_learns(tmp_path):
    work = tmp_path / 'demo'
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'demo.py'), '--part', 'classification',
        '--work-dir',
        str(work), '--trainval', '200', '--test', '64', '--epochs', '10'
    ],
                      cwd=str(tmp_path))
    summary = json.loads((work / 'summary.json').read_text())
    assert 'detection' not in summary
    cls = summary['classification']
    assert set(cls) == {'simple_cnn', 'resnet18', 'resnet18_probe', 'tsne'}
    for name in ('simple_cnn', 'resnet18', 'resnet18_probe'):
        row = cls[name]
        assert list(row['per_class']) == [
            'ellipse', 'rectangle', 'triangle', 'cross', 'ring'
        ]
        assert row['epochs'] == 10
    # training helps: each trained network beats its untrained score
    assert cls['simple_cnn']['mAP'] > cls['simple_cnn']['untrained_mAP']
    assert cls['resnet18']['mAP'] > cls['resnet18']['untrained_mAP'] + 10
    # the per-class table was logged, the t-SNE drawn, the summary shown
    assert 'mAP = mean AP of the 5 classes with a positive image' in output
    assert Image.open(work / 'tsne.png').size[0] > 500
    markdown = (work / 'summary.md').read_text()
    assert '![t-SNE](tsne.png)' in markdown
    assert f'{cls["simple_cnn"]["mAP"]:.1f}' in markdown
    assert markdown.strip() in output.replace('\r', '')


@pytest.mark.slow
def test_detection_demo_trains_in_bf16_when_asked(tmp_path):
    work = tmp_path / 'demo'
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools',
                 'demo.py'), '--part', 'detection', '--work-dir',
        str(work), '--trainval', '48', '--test', '16', '--iters', '12',
        '--precision', 'bf16'
    ],
                      cwd=str(tmp_path))
    det = json.loads((work / 'summary.json').read_text())['detection']
    assert det['precision'] == 'bf16'
    assert det['precision_reason'] == '--precision bf16'
    assert 'detection trains in bf16' in output
    assert "AmpOptimWrapper'" in output and 'bfloat16' in output
    assert 0 <= det['mAP'] <= 1
    assert 'bf16 training (--precision bf16)' in (work /
                                                  'summary.md').read_text()
