# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Confusion matrix, per-image AP and the pairing of saved detections with
annotations, on cases worked out by hand."""
import pickle

import numpy as np
import pytest
import torch

from lodaa_plugin.evaluation.analysis import (ImageResult,
                                              box_confusion_matrix, image_ap,
                                              load_predictions, rank_images)

CAT, DOG, BIRD = 0, 1, 2


def _image(gts=(), difficult=(), dets=(), path='x.jpg'):
    """gts / difficult: (box, label); dets: (box, label, score)."""

    def boxes(items):
        return np.array([b for b, *_ in items], np.float32).reshape(-1, 4)

    return ImageResult(
        img_path=path,
        gt_bboxes=boxes(gts),
        gt_labels=np.array([lb for _, lb in gts], np.int64),
        ignore_bboxes=boxes(difficult),
        ignore_labels=np.array([lb for _, lb in difficult], np.int64),
        bboxes=boxes(dets),
        scores=np.array([s for *_, s in dets], np.float32),
        labels=np.array([lb for _, lb, _ in dets], np.int64))


A, B, C, D = [0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50,
                                                50], [60, 60, 70, 70]


def test_confusion_matrix_counts_each_box_once():
    first = _image(
        gts=[(A, CAT), (B, DOG)],
        difficult=[(C, BIRD)],
        dets=[
            (A, CAT, .9),  # found
            (B, CAT, .8),  # the dog taken for a cat
            (A, CAT, .7),  # duplicate: a false positive
            (C, BIRD, .9),  # on a difficult box: not counted
            (C, DOG, .6),  # other class on a difficult box: not counted
            (D, DOG, .6),  # on nothing
            (A, BIRD, .1),  # below the score threshold
        ])
    # the cat detection takes the box although the dog one scores higher
    second = _image(
        gts=[(A, CAT), (B, DOG)], dets=[(A, DOG, .9), (A, CAT, .5)])
    matrix = box_confusion_matrix([first, second], 3, score_thr=0.3)
    expected = np.zeros((4, 4), int)
    expected[CAT, CAT] = 2
    expected[DOG, CAT] = 1
    expected[DOG, 3] = 1  # the second image's dog is missed
    expected[3, CAT] = 1
    expected[3, DOG] = 2
    np.testing.assert_array_equal(matrix, expected)
    # every box that counts is in its row once
    np.testing.assert_array_equal(matrix[:3].sum(1), [2, 2, 0])


def test_confusion_matrix_diagonal_is_the_metrics_true_positives():
    """A detection whose best same-class box is taken is a false positive
    for VOC even when another box of its class overlaps it enough."""
    wide, left = [0, 0, 20, 10], [0, 0, 12, 10]
    image = _image(
        gts=[(wide, CAT), (left, CAT)],
        dets=[(wide, CAT, .9), ([0, 0, 18, 10], CAT, .8)])
    matrix = box_confusion_matrix([image], 1, score_thr=0.)
    assert matrix[0, 0] == 1 and matrix[0, 1] == 1 and matrix[1, 0] == 1


def test_image_ap_by_hand():
    image = _image(
        gts=[(A, CAT), (B, CAT), (C, DOG)],
        dets=[(A, CAT, .9), (D, CAT, .8), (B, CAT, .7), (D, BIRD, .95)])
    # cat: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> area AP
    # 1/2 * 1 + 1/2 * 2/3; dog: not found, 0
    assert image_ap(image) == pytest.approx((0.5 + 1 / 3) / 2)


def test_rank_images_best_first_and_leaves_out_images_without_boxes():
    perfect = _image(gts=[(A, CAT)], dets=[(A, CAT, .9)], path='perfect')
    noisy = _image(
        gts=[(A, CAT)], dets=[(A, CAT, .9), (B, DOG, .9)], path='noisy')
    missed = _image(gts=[(A, CAT)], path='missed')
    only_difficult = _image(difficult=[(A, CAT)], path='difficult')
    results = [missed, noisy, only_difficult, perfect]
    ranked = rank_images(results)
    assert [results[i].img_path
            for i, _, _ in ranked] == ['perfect', 'noisy', 'missed']
    assert [fp for _, _, fp in ranked] == [0, 1, 0]


class _Dataset:

    def __init__(self, infos):
        self.infos = infos

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, i):
        return self.infos[i]


def test_load_predictions_pairs_by_image_and_splits_difficult(tmp_path):
    dataset = _Dataset([
        dict(
            img_path='a.jpg',
            instances=[
                dict(bbox=A, bbox_label=CAT, ignore_flag=0),
                dict(bbox=B, bbox_label=DOG, ignore_flag=1)
            ]),
        dict(img_path='b.jpg', instances=[])
    ])
    saved = [
        dict(
            img_path='b.jpg',
            pred_instances=dict(
                bboxes=torch.tensor([A], dtype=torch.float32),
                scores=torch.tensor([.5]),
                labels=torch.tensor([DOG]))),
        dict(
            img_path='a.jpg',
            pred_instances=dict(
                bboxes=torch.zeros(0, 4),
                scores=torch.zeros(0),
                labels=torch.zeros(0, dtype=torch.long)))
    ]
    path = tmp_path / 'preds.pkl'
    path.write_bytes(pickle.dumps(saved))
    b, a = load_predictions(str(path), dataset)
    assert b.img_path == 'b.jpg' and b.labels.tolist() == [DOG]
    assert len(b.gt_bboxes) == 0
    assert a.gt_labels.tolist() == [CAT] and a.ignore_labels.tolist() == [DOG]
    assert a.bboxes.shape == (0, 4)

    saved[0]['img_path'] = 'elsewhere.jpg'
    path.write_bytes(pickle.dumps(saved))
    with pytest.raises(ValueError, match=r"preds\.pkl.*'elsewhere\.jpg'"):
        load_predictions(str(path), dataset)
    path.write_bytes(pickle.dumps({'mAP': 0.5}))
    with pytest.raises(ValueError, match=r'preds\.pkl: not a file of detec'):
        load_predictions(str(path), dataset)


def test_mean_pr_curve_averages_interpolated_precision():
    from lodaa_plugin.evaluation.analysis import mean_pr_curve

    # cat: found at the top score, then a false positive, then the second
    # cat; dog: never detected
    image = _image(
        gts=[(A, CAT), (B, CAT), (C, DOG)],
        dets=[(A, CAT, .9), (D, CAT, .8), (B, CAT, .7)])
    recall, precision = mean_pr_curve([image], 3, points=5)
    np.testing.assert_allclose(recall, [0, .25, .5, .75, 1])
    # cat: 1 up to recall 1/2, then 2/3; dog: 0; bird has no box
    np.testing.assert_allclose(precision,
                               [(1 + 0) / 2] * 3 + [(2 / 3 + 0) / 2] * 2)


def test_detections_of_another_class_count_are_named(tmp_path):
    """Not an IndexError inside the counting: the file and both counts."""
    dataset = _Dataset(
        [dict(img_path='a.jpg', instances=[dict(bbox=A, bbox_label=CAT)])])
    dataset.metainfo = dict(classes=('cat', 'dog', 'bird'))
    saved = [
        dict(
            img_path='a.jpg',
            pred_instances=dict(
                bboxes=torch.tensor([A, B], dtype=torch.float32),
                scores=torch.tensor([.5, .4]),
                labels=torch.tensor([1, 19])))
    ]
    path = tmp_path / 'preds.pkl'
    path.write_bytes(pickle.dumps(saved))
    with pytest.raises(ValueError) as error:
        load_predictions(str(path), dataset)
    assert str(path) in str(error.value)
    assert 'at least 20 classes' in str(error.value)
    assert 'the dataset has 3 classes' in str(error.value)
    saved[0]['pred_instances']['labels'] = torch.tensor([1, 2])
    path.write_bytes(pickle.dumps(saved))
    assert len(load_predictions(str(path), dataset)) == 1
