# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Sliced inference (lodaa_plugin.slicing): tiles cover the image, boxes map
back exactly, the merge is the head's class-aware NMS, an object cut by a
tile border comes out once, and every path merges with the one function."""
import ast
import glob
import os.path as osp

import numpy as np
import pytest

from lodaa_plugin import slicing
from lodaa_plugin.slicing import (SlicedPredictor, merge_detections,
                                  merge_settings, shift_boxes, slice_windows,
                                  sliced_predict)


@pytest.mark.parametrize('height, width, size, overlap', [
    (1024, 1024, 128, 0.2),
    (1000, 777, 256, 0.25),
    (300, 1300, 128, 0.0),
    (128, 128, 128, 0.5),
    (129, 257, 128, 0.1),
    (100, 90, 128, 0.2),
    (100, 500, 128, 0.2),
])
def test_tiles_cover_the_whole_image_and_keep_their_size(
        height, width, size, overlap):
    windows = slice_windows(height, width, size, overlap)
    covered = np.zeros((height, width), bool)
    for x1, y1, x2, y2 in windows:
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
        # full size where the image is larger than a tile; a shorter side
        # is one tile as long as it
        assert x2 - x1 == min(size, width)
        assert y2 - y1 == min(size, height)
        covered[y1:y2, x1:x2] = True
    assert covered.all()
    # the border rows and columns are reached by tiles ending there
    assert windows[:, 2].max() == width and windows[:, 3].max() == height
    # neighbours overlap by at least the ratio asked (the last ones more)
    for axis, length in ((0, width), (1, height)):
        starts = np.unique(windows[:, axis])
        if len(starts) > 1:
            assert (np.diff(starts) <= round(size * (1 - overlap))).all()


def test_an_image_smaller_than_a_tile_is_one_tile():
    assert slice_windows(90, 100, 128, 0.2).tolist() == [[0, 0, 100, 90]]


@pytest.mark.parametrize('size, overlap', [(0, 0.2), (128, 1.0), (128, -0.1)])
def test_bad_tile_settings_are_refused(size, overlap):
    with pytest.raises(ValueError, match='slice'):
        slice_windows(100, 100, size, overlap)


def _squares(image: np.ndarray) -> dict:
    """A stand-in detector: each non-zero grey level is one object of
    class ``level % 3``, its box the exact extent of its pixels (x2, y2
    exclusive) and its score growing with the pixels it sees."""
    boxes, scores, labels = [], [], []
    for level in np.unique(image[..., 0]):
        if level == 0:
            continue
        ys, xs = np.nonzero(image[..., 0] == level)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        scores.append(min(0.99, 0.1 + len(xs) / 1e4))
        labels.append(int(level) % 3)
    return dict(
        bboxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        scores=np.asarray(scores, np.float32),
        labels=np.asarray(labels, np.int64))


def _image_with_objects(objects, height=700, width=900) -> np.ndarray:
    image = np.zeros((height, width, 3), np.uint8)
    for level, (x1, y1, x2, y2) in objects.items():
        image[y1:y2, x1:x2] = level
    return image


def test_boxes_are_mapped_back_exactly():
    # objects at the corners and borders, and inside: each lies wholly in
    # some tile (smaller than the overlap)
    objects = {
        10: (0, 0, 20, 15),
        11: (880, 0, 900, 30),
        12: (0, 680, 25, 700),
        13: (870, 670, 900, 700),
        14: (400, 300, 431, 322),
        15: (123, 456, 140, 470),
    }
    found = sliced_predict(
        lambda crops: [_squares(c) for c in crops],
        [_image_with_objects(objects)],
        size=128,
        overlap=0.3,
        iou_threshold=0.6,
        max_per_img=100,
        metric='ios')[0]
    assert sorted(map(tuple, found['bboxes'].astype(int).tolist())) == \
        sorted(objects.values())
    by_box = {
        tuple(b): label
        for b, label in zip(found['bboxes'].astype(int).tolist(),
                            found['labels'])
    }
    assert all(by_box[box] == level % 3 for level, box in objects.items())


def test_shift_boxes_adds_the_tile_origin():
    shifted = shift_boxes(np.array([[1.5, 2, 3, 4]]), (100, 200, 228, 328))
    assert shifted.tolist() == [[101.5, 202, 103, 204]]


@pytest.mark.parametrize('metric', ['ios', 'iou'])
def test_an_object_split_across_two_tiles_comes_out_once(metric):
    # tiles of 128 at overlap 0.25 start at x = 0, 96, 172: the first one
    # sees x 110..128 of the object, the second all of it
    objects = {20: (110, 40, 150, 70)}
    image = _image_with_objects(objects, 200, 300)
    windows = slice_windows(200, 300, 128, 0.25)
    parts = [
        _squares(image[y1:y2, x1:x2])['bboxes'].shape[0]
        for x1, y1, x2, y2 in windows
    ]
    assert sum(parts) > 1  # seen (whole or cut) by several tiles
    found = sliced_predict(
        lambda crops: [_squares(c) for c in crops], [image],
        128,
        0.25,
        0.6,
        100,
        metric=metric)[0]
    if metric == 'ios':
        assert found['bboxes'].astype(int).tolist() == [[110, 40, 150, 70]]
    else:
        # the head's IoU keeps the cut part (IoU 18/40 < 0.6): why the
        # intersection over the smaller box is offered for tiles
        assert [110, 40, 150, 70] in found['bboxes'].astype(int).tolist()


def test_nmm_joins_an_object_larger_than_the_overlap():
    # 40 px high, the tiles overlap by 26 px (y 102..230 and 204..332):
    # no tile sees it whole, NMS keeps a part, NMM the union of both (x
    # 310..330 lies whole in the columns at 204 and 306)
    objects = {31: (310, 200, 330, 240)}
    image = _image_with_objects(objects)

    def run(merge):
        return sliced_predict(
            lambda crops: [_squares(c) for c in crops], [image],
            128,
            0.2,
            0.6,
            100,
            merge=merge)[0]['bboxes'].astype(int).tolist()

    assert run('nmm') == [[310, 200, 330, 240]]
    assert run('nms') in ([[310, 204, 330, 240]], [[310, 200, 330, 230]])


def test_the_merge_is_the_heads_class_aware_nms():
    import torch
    import torchvision
    rng = np.random.RandomState(0)
    xy = rng.uniform(0, 200, (300, 2))
    wh = rng.uniform(5, 60, (300, 2))
    boxes = np.concatenate([xy, xy + wh], 1).astype(np.float32)
    scores = rng.uniform(0.05, 1, 300).astype(np.float32)
    labels = rng.randint(0, 4, 300)
    for max_per_img in (100, 1000):
        merged = merge_detections(boxes, scores, labels, 0.6, max_per_img)
        keep = torchvision.ops.batched_nms(
            torch.from_numpy(boxes), torch.from_numpy(scores),
            torch.from_numpy(labels), 0.6)[:max_per_img].numpy()
        np.testing.assert_array_equal(merged['bboxes'], boxes[keep])
        np.testing.assert_array_equal(merged['scores'], scores[keep])
        np.testing.assert_array_equal(merged['labels'], labels[keep])


def test_merge_settings_read_a_detector_or_an_export():
    assert merge_settings(
        dict(nms=dict(type='nms', iou_threshold=0.5),
             max_per_img=30)) == (0.5, 30)
    assert merge_settings(dict(score_thr=0.05, nms_iou=0.6,
                               max_per_img=100)) == (0.6, 100)


def test_slicing_imports_numpy_only():
    # the deployed runtime slices too, and imports no torch
    tree = ast.parse(open(slicing.__file__).read())
    imported = {
        alias.name.split('.')[0]
        for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split('.')[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= {'numpy', 'typing'}, imported


class _MergeSpy:
    """Counts the calls of lodaa_plugin.slicing.merge_detections."""

    def __init__(self, monkeypatch):
        self.calls = 0
        original = slicing.merge_detections

        def spy(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(slicing, 'merge_detections', spy)


def test_the_runtime_path_merges_with_the_one_function(monkeypatch):
    # SlicedPredictor is what image_demo / video_demo wrap around
    # DeployedDetector (and predict_images)
    spy = _MergeSpy(monkeypatch)
    # each object inside one tile only (tiles start at 0, 102, 204, ...)
    image = _image_with_objects({
        30: (40, 40, 60, 60),
        31: (150, 150, 170, 170)
    })
    predictor = SlicedPredictor(lambda crops: [_squares(c) for c in crops],
                                None, dict(nms_iou=0.6,
                                           max_per_img=100), 128, 0.2)
    found = predictor([image, image])
    assert spy.calls == 2
    assert len(found) == 2 and len(found[0]['bboxes']) == 2


def random_fcos(tmp_path):
    """fcos_voc_224 with random weights, every location scored (score_thr
    0), and its checkpoint."""
    import torch
    from mmengine.config import Config

    from lodaa_plugin.utils.builders import build_model_without_weights
    from lodaa_testing import config_path
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg.score_thr = 0.0
    model, _ = build_model_without_weights(cfg)
    checkpoint = tmp_path / 'random.pth'
    classes = cfg.test_dataloader.dataset.get(
        'metainfo', {}).get('classes') or tuple(f'c{i}' for i in range(20))
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=tuple(classes)))), checkpoint)
    return cfg, model.eval(), str(checkpoint)


def test_sliced_detector_of_one_tile_predicts_as_the_detector(
        tmp_path, monkeypatch, mmdet_scope):
    import torch
    from mmdet.registry import MODELS

    from lodaa_plugin.apis import predict_images
    from lodaa_plugin.utils.config_edits import enable_slicing
    from lodaa_testing import VOC07_ROOT
    cfg, model, _ = random_fcos(tmp_path)
    photo = sorted(
        glob.glob(osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '*.jpg')))[:2]
    model.cfg = cfg
    plain = predict_images(model, photo)
    enable_slicing(cfg, 1000, 0.2)  # VOC photos are at most 500 pixels
    sliced = MODELS.build(cfg.model)
    sliced.detector.load_state_dict(model.state_dict())
    sliced.eval()
    spy = _MergeSpy(monkeypatch)
    from mmdet.structures import DetDataSample
    samples = [DetDataSample(metainfo=dict(img_path=p)) for p in photo]
    with torch.no_grad():
        out = sliced.predict(None, samples)
    assert spy.calls == len(photo)
    for one, sample in zip(plain, out):
        pred = sample.pred_instances
        assert len(one['bboxes']) == 100  # every location scored
        np.testing.assert_allclose(
            pred.bboxes.numpy(), one['bboxes'], atol=1e-4)
        np.testing.assert_allclose(
            pred.scores.numpy(), one['scores'], atol=1e-6)
        np.testing.assert_array_equal(pred.labels.numpy(), one['labels'])


def test_sliced_detector_runs_an_exports_runtime(tmp_path, monkeypatch,
                                                 mmdet_scope):
    # DeployedDetectorModel gives SlicedDetector its runtime through
    # predict_arrays and its deploy.json rules through test_cfg
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from torch import nn

    from lodaa_plugin.apis import SlicedDetector

    @MODELS.register_module(force=True)
    class _FakeExport(nn.Module):

        def __init__(self, **kwargs):
            super().__init__()
            self.test_cfg = dict(nms_iou=0.6, max_per_img=100)

        def predict_arrays(self, images):
            return [_squares(image) for image in images]

    import cv2
    image = _image_with_objects({40: (200, 100, 230, 140)}, 300, 400)
    path = str(tmp_path / 'big.png')
    cv2.imwrite(path, image)
    sliced = SlicedDetector(
        dict(type='_FakeExport'),
        128, [dict(type='LodaaLoadImageFromFile')],
        overlap=0.3,
        merge_metric='ios')
    spy = _MergeSpy(monkeypatch)
    out = sliced.predict(None, [DetDataSample(metainfo=dict(img_path=path))])
    assert spy.calls == 1
    assert out[0].pred_instances.bboxes.numpy().astype(int).tolist() == [[
        200, 100, 230, 140
    ]]


@pytest.mark.slow
def test_pytorch_and_the_export_slice_alike(trained_fcos, exported,
                                            mmdet_scope):
    # the same tiles and the same merge on both paths: the export's boxes
    # are PyTorch's, up to the backends' rounding
    from lodaa_plugin.apis import init_detector_strict, predict_images
    from lodaa_plugin.deployment import DeployedDetector
    from lodaa_plugin.deployment.preprocess import read_image
    from lodaa_testing import VOC07_ROOT, config_path
    work_dir, _ = trained_fcos
    model = init_detector_strict(
        config_path('fcos_voc_224.py'), osp.join(work_dir, 'iter_100.pth'))
    deployed = DeployedDetector(exported[0], 'onnxruntime')
    photos = sorted(
        glob.glob(osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '*.jpg')))[:2]
    torch_path = SlicedPredictor(lambda tiles: predict_images(model, tiles),
                                 read_image, model.test_cfg, 200, 0.25)
    export_path = SlicedPredictor(deployed, read_image,
                                  deployed.cfg['test_cfg'], 200, 0.25)
    for ours, theirs in zip(torch_path(photos), export_path(photos)):
        assert len(ours['bboxes']) > 0
        for box, label in zip(ours['bboxes'][:10], ours['labels'][:10]):
            same = theirs['bboxes'][theirs['labels'] == label]
            assert len(same) and slicing._overlaps(box, same,
                                                   'iou').max() > 0.95
