# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""compare_detectors: rows differ only in the detector, start from the same
backbone and see the same first batch; the table and picture are written."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from lodaa_plugin.utils.config_loading import read_config
from lodaa_testing import (PYTHON, config_path, data_options, run_tool,
                           tool_path)
from projects.benchmarks.detector_comparison import (PAIRED_KEY, ROWS,
                                                     markdown_table,
                                                     paired_rows, row_config,
                                                     summarise)

# what each ablation row changes in LODAA's head, and nothing else
ABLATIONS = {
    'product_fusion': {'score_fusion'},
    'no_centre_sampling': {'center_sampling'},
    'centre_radius_1': {'center_sample_radius'},
    'centre_radius_2': {'center_sample_radius'},
}
# the box-loss rows: each sets both keys, whatever the config's defaults
BOX_LOSS_ROWS = {
    'giou_centerness': ('GIoULoss', 'centerness'),
    'giou_mean': ('GIoULoss', 'mean'),
    'iou_centerness': ('IoULoss', 'centerness'),
    'iou_mean': ('IoULoss', 'mean'),
}


def _row(row):
    cfg = read_config(config_path('demo/fcos_synthetic_demo.py'))
    return row_config(cfg, row, '/start.pth', '/preds.pkl').to_dict()


def test_rows_differ_only_in_the_detector():
    lodaa = _row('lodaa')
    assert lodaa['model']['backbone']['init_cfg']['checkpoint'] == \
        '/start.pth'
    for row in ROWS:
        config = _row(row)
        assert {
            k: v
            for k, v in config.items() if k != 'model'
        } == {
            k: v
            for k, v in lodaa.items() if k != 'model'
        }, row
        head, mine = lodaa['model']['bbox_head'], config['model'].get(
            'bbox_head', {})
        changed = {
            k
            for k in head.keys() | mine.keys() if head.get(k) != mine.get(k)
        }
        if row in ABLATIONS:
            assert changed == ABLATIONS[row], row
        if row in BOX_LOSS_ROWS:
            assert changed <= {'loss_bbox', 'bbox_loss_weighting'}, row
            loss, weighting = BOX_LOSS_ROWS[row]
            assert mine['loss_bbox']['type'] == loss, row
            assert mine['bbox_loss_weighting'] == weighting, row
    stock = _row('mmdet_fcos')['model']['bbox_head']
    assert stock['type'] == 'FCOSHead' and 'loss_bbox' not in stock
    assert stock['stacked_convs'] == lodaa['model']['bbox_head'][
        'stacked_convs']
    tv = _row('torchvision_fcos')['model']
    assert tv['type'] == 'TorchvisionFCOSDetector'
    assert tv['twin_of'] == lodaa['model']
    assert tv['backbone_init'] == '/start.pth'
    # every run dumps its detections and records its first batch
    assert lodaa['val_evaluator'][-1]['type'] == 'DumpDetResults'
    assert lodaa['custom_hooks'][-1]['type'] == 'RunRecordHook'


def test_summary_pairs_by_seed():
    runs = []
    for seed, (mine, theirs) in enumerate([(.6, .5), (.7, .5), (.5, .45)]):
        for row, value in (('lodaa', mine), ('mmdet_fcos', theirs)):
            runs.append(
                dict(
                    row=row,
                    seed=seed,
                    mAP_11points=value,
                    mAP_area=value,
                    coco_AP=value / 2,
                    coco_AP75=value / 3,
                    train_seconds=10.))
    table = summarise(runs, ['lodaa', 'mmdet_fcos'])
    assert table[1]['delta_mAP'] == pytest.approx([.1, .2, .05])
    text = markdown_table(table)
    assert '| LODAA FCOS (as configured) | 0.600 ± 0.100 |' in text
    # mean 0.117, standard error 0.044: beyond two standard errors
    assert '0.117 ± 0.076 *' in text


def _sources(rng, images, found):
    """One run's matching: one class, detected objects score higher."""
    import numpy as np

    from lodaa_plugin.evaluation.metrics.bootstrap import (APSource,
                                                           ClassMatches)
    k = rng.poisson(2.0, images)
    hit = rng.random(k.sum()) < found
    false = rng.poisson(1.5, images)
    owner = np.concatenate([
        np.repeat(np.arange(images), k)[hit],
        np.repeat(np.arange(images), false)
    ])
    scores = np.concatenate(
        [rng.normal(2, 1, hit.sum()),
         rng.normal(0, 1, false.sum())])
    tp = np.arange(len(scores)) < hit.sum()
    order = np.argsort(-scores, kind='mergesort')
    matches = ClassMatches(owner[order], tp[order][None], ~tp[order][None], k)
    return {PAIRED_KEY: APSource([matches], '11points')}


def test_rows_are_compared_with_lodaa_paired_by_seed_and_image():
    import numpy as np
    rng = np.random.default_rng(0)
    sources = {}
    for seed in (0, 1):
        sources[('lodaa', seed)] = _sources(rng, 400, 0.9)
        sources[('mmdet_fcos', seed)] = _sources(rng, 400, 0.5)
        sources[('torchvision_fcos', seed)] = sources[('lodaa', seed)]
    paired = paired_rows(sources, ['lodaa', 'mmdet_fcos', 'torchvision_fcos'],
                         400)
    assert set(paired) == {'mmdet_fcos', 'torchvision_fcos'}
    assert paired['mmdet_fcos']['verdict'] == 'ahead'
    assert paired['mmdet_fcos']['seeds'] == 2
    low, high = paired['mmdet_fcos']['interval']
    assert 0 < low < paired['mmdet_fcos']['difference'] < high
    assert paired['torchvision_fcos']['verdict'] == 'level'
    assert paired['torchvision_fcos']['interval'] == [0.0, 0.0]
    runs = [
        dict(
            row=row,
            seed=seed,
            mAP_11points=.5,
            mAP_area=.5,
            coco_AP=.3,
            coco_AP75=.2,
            train_seconds=1.) for seed in (0, 1)
        for row in ('lodaa', 'mmdet_fcos')
    ]
    text = markdown_table(summarise(runs, ['lodaa', 'mmdet_fcos'], paired))
    assert '95% interval over test images and seeds' in text
    assert ': LODAA ahead |' in text


@pytest.mark.slow
def test_compare_detectors_tiny_budget(tmp_path, four_image_voc):
    out = tmp_path / 'compare'
    options = [
        o for o in data_options(four_image_voc, 'four.txt')
        if not o.startswith('test_dataloader')
    ]
    output = run_tool([
        PYTHON,
        tool_path('analysis/compare_detectors.py'),
        config_path('fcos_voc_224.py'), '--iters', '3', '--seeds', '0',
        '--rows', 'lodaa', 'torchvision_fcos', '--out-dir',
        str(out), '--cfg-options', *options, 'model.backbone.init_cfg=None',
        'train_dataloader.batch_size=2'
    ],
                      cwd=str(tmp_path))
    summary = json.loads((out / 'compare.json').read_text())
    assert [r['row'] for r in summary['runs']] == ['lodaa', 'torchvision_fcos']
    records = [r['record'] for r in summary['runs']]
    # the same first batch (pixels and boxes) and the same starting backbone
    assert records[0]['first_batch'] == records[1]['first_batch']
    assert all(r['backbone_matches_init'] for r in records)
    assert len(records[0]['first_batch_images']) == 2
    start = torch.load(out / 'backbone_seed0.pth')
    assert 'stem.0.weight' in start
    assert (out / 'pr_curves.png').stat().st_size > 10_000
    table = (out / 'compare.md').read_text()
    assert '| torchvision FCOS' in table and 'seeds 0' in table
    assert 'torchvision FCOS' in output
    configs = [
        Config.fromfile(out / row / 'seed_0' / 'config.py')
        for row in ('lodaa', 'torchvision_fcos')
    ]
    assert configs[0].train_dataloader == configs[1].train_dataloader
    assert configs[0].optim_wrapper == configs[1].optim_wrapper
    assert osp.isfile(out / 'torchvision_fcos' / 'seed_0' / 'predictions.pkl')


def test_a_cut_short_result_or_run_record_is_named(tmp_path):
    from projects.benchmarks.detector_comparison import (read_result,
                                                         run_records)
    result = tmp_path / 'result.json'
    result.write_text('{"row": "lodaa", "coco_AP": 0.1')
    with pytest.raises(SystemExit) as error:
        read_result(str(result))
    assert f'{result}: not JSON, it ends too early (truncated?)' in str(
        error.value)
    assert 'delete it to train that run again' in str(error.value)
    result.write_text('[1]')
    with pytest.raises(SystemExit, match='not a run record'):
        read_result(str(result))
    result.write_text('\ufeff{"row": "lodaa"}', encoding='utf-8')
    assert read_result(str(result)) == {'row': 'lodaa'}
    (tmp_path / 'run_record.json').write_text('{"a": ')
    with pytest.raises(ValueError) as error:
        run_records([str(tmp_path)])
    assert str(tmp_path / 'run_record.json') in str(error.value)
