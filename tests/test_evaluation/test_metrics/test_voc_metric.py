# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA's VOC mAP agrees with an independent devkit-style computation."""
import os.path as osp

import numpy as np
import pytest
import torch

from lodaa_plugin.evaluation import LodaaVOCMetric
from lodaa_testing import FOUR_IDS, REPO_ROOT, VOC07_ROOT
from lodaa_testing.voc_reference import mean_ap


def _metric(images, classes):
    metric = LodaaVOCMetric(metric='mAP', eval_mode='11points')
    metric.dataset_meta = dict(classes=classes)
    samples = []
    for img in images:
        keep = ~img['gt_difficult']
        samples.append(
            dict(
                gt_instances=dict(
                    bboxes=torch.as_tensor(img['gt_boxes'][keep]),
                    labels=torch.as_tensor(img['gt_labels'][keep])),
                ignored_instances=dict(
                    bboxes=torch.as_tensor(img['gt_boxes'][~keep]),
                    labels=torch.as_tensor(img['gt_labels'][~keep])),
                pred_instances=dict(
                    bboxes=torch.as_tensor(img['det_boxes']),
                    scores=torch.as_tensor(img['det_scores']),
                    labels=torch.as_tensor(img['det_labels']))))
    metric.process({}, samples)
    return metric.compute_metrics(metric.results), metric


def _image(gt, difficult, dets):
    gt = np.array(gt, np.float32).reshape(-1, 5)
    dets = np.array(dets, np.float32).reshape(-1, 6)
    return dict(
        gt_boxes=gt[:, :4],
        gt_labels=gt[:, 4].astype(np.int64),
        gt_difficult=np.array(difficult, bool),
        det_boxes=dets[:, :4],
        det_labels=dets[:, 4].astype(np.int64),
        det_scores=dets[:, 5])


def test_hand_made_cases():
    images = [
        # a hit, a duplicate (FP), a hit on a difficult box (ignored)
        _image([[10, 10, 50, 50, 0], [60, 60, 90, 90, 0]], [False, True],
               [[11, 11, 50, 50, 0, .9], [12, 10, 49, 50, 0, .8],
                [60, 61, 90, 90, 0, .7]]),
        # a miss for class 0 and a class-1 hit below a FP
        _image([[0, 0, 20, 20, 0], [30, 30, 60, 70, 1]], [False, False],
               [[100, 100, 120, 120, 1, .95], [30, 31, 60, 70, 1, .5]]),
    ]
    for mode in ('11points', 'area'):
        metrics, metric = _metric(images, ('a', 'b'))
        assert metrics[f'mAP_{mode}'] == pytest.approx(
            mean_ap(images, 2, mode), abs=1e-6)
    # class a: 1 TP of 2 positives at precision 1 -> 11-point AP 6/11
    assert metric.per_class['a']['ap'] == pytest.approx(6 / 11, abs=1e-6)


@pytest.mark.slow
def test_agrees_with_reference_on_real_predictions(trained_fcos):
    """Detections of FCOS trained on 4 real VOC photos, on those and 12
    unseen ones (difficult objects included), evaluated both ways."""
    from mmdet.apis import init_detector

    from lodaa_plugin.apis import predict_images
    from lodaa_plugin.datasets import LodaaVOCDataset
    work_dir, _ = trained_fcos
    model = init_detector(
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'),
        osp.join(work_dir, 'iter_100.pth'),
        device='cpu',
        cfg_options={'model.backbone.init_cfg': None})
    dataset = LodaaVOCDataset(
        data_root=VOC07_ROOT + '/',
        ann_file=[
            'VOC2007/ImageSets/Main/trainval.txt',
            'VOC2007/ImageSets/Main/test.txt'
        ],
        test_mode=True,
        pipeline=[])
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    infos = [i for i in infos if i['img_id'] in FOUR_IDS] + \
        [i for i in infos if i['img_id'] not in FOUR_IDS][:12]
    preds = predict_images(model, [i['img_path'] for i in infos])
    images = []
    for info, pred in zip(infos, preds):
        inst = info['instances']
        images.append(
            dict(
                gt_boxes=np.array([x['bbox'] for x in inst], np.float32),
                gt_labels=np.array([x['bbox_label'] for x in inst], np.int64),
                gt_difficult=np.array([x['ignore_flag'] for x in inst], bool),
                det_boxes=pred['bboxes'],
                det_labels=pred['labels'],
                det_scores=pred['scores']))
    assert sum(img['gt_difficult'].sum() for img in images) > 0
    classes = dataset.metainfo['classes']
    metrics, _ = _metric(images, classes)
    for mode in ('11points', 'area'):
        reference = mean_ap(images, len(classes), mode)
        assert 0.02 < reference < 0.98  # neither trivial nor perfect
        assert metrics[f'mAP_{mode}'] == pytest.approx(reference, abs=1e-3)


def _coco_case(difficult_det: bool):
    """One 100x100 object found with IoU 0.82; optionally a difficult box
    with a confident detection on it."""
    gt = dict(
        bboxes=np.array([[0., 0., 100., 100.]]),
        labels=np.array([0]),
        bboxes_ignore=np.array([[200., 200., 240., 240.]]),
        labels_ignore=np.array([0]))
    dets = [np.array([[0., 0., 100., 82., 0.9]])]
    if difficult_det:
        dets = [np.concatenate([dets[0], [[200., 200., 240., 240., 0.95]]])]
    return [gt], [dets]


@pytest.mark.parametrize('difficult_det', [False, True])
def test_coco_ap_matches_a_hand_computed_case(difficult_det):
    from lodaa_plugin.evaluation.metrics.voc_metric import coco_ap
    gts, preds = _coco_case(difficult_det)
    result = coco_ap(gts, preds, num_classes=1)
    # IoU 0.82 clears the thresholds 0.50, 0.55, ..., 0.80: 7 of 10 with
    # precision 1; the detection on the difficult box is ignored, not false
    assert result['coco_AP'] == pytest.approx(0.7)
    assert result['coco_AP50'] == pytest.approx(1.0)
    assert result['coco_AP75'] == pytest.approx(1.0)
    # 100 x 100 = 10,000 px is large (> 96^2); no small or medium objects
    assert result['coco_AP_l'] == pytest.approx(0.7)
    assert result['coco_AP_s'] == result['coco_AP_m'] == -1


def test_an_unignored_false_positive_lowers_coco_ap():
    from lodaa_plugin.evaluation.metrics.voc_metric import coco_ap
    gts, preds = _coco_case(difficult_det=True)
    gts[0]['bboxes_ignore'] = np.zeros((0, 4))
    gts[0]['labels_ignore'] = np.zeros(0, dtype=int)
    # the confident detection is now a false positive ranked first
    assert coco_ap(gts, preds, num_classes=1)['coco_AP50'] < 0.6
