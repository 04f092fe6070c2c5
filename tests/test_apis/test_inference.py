# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""predict_images: one forward pass per chunk gives the per-image
detections (fixed-size config: no padding differences)."""
import glob
import os.path as osp

import numpy as np
import pytest

from lodaa_testing import VOC07_ROOT, config_path


@pytest.mark.slow
def test_batched_prediction_equals_one_image_at_a_time(trained_fcos,
                                                       mmdet_scope):
    from lodaa_plugin.apis import init_detector_strict, predict_images
    work_dir, _ = trained_fcos
    model = init_detector_strict(
        config_path('fcos_voc_224.py'), osp.join(work_dir, 'iter_100.pth'))
    photos = sorted(
        glob.glob(osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '*.jpg')))[:6]
    calls = []
    original = model.test_step
    model.test_step = lambda batch: calls.append(len(batch['inputs'])) or \
        original(batch)
    batched = predict_images(model, photos, batch_size=4)
    assert calls == [4, 2]
    single = predict_images(model, photos, batch_size=1)
    assert sum(len(b['bboxes']) for b in batched) > 0
    for b, s in zip(batched, single):
        assert np.array_equal(b['labels'], s['labels'])
        np.testing.assert_allclose(b['bboxes'], s['bboxes'], atol=1e-3)
        np.testing.assert_allclose(b['scores'], s['scores'], atol=1e-5)


def test_loading_a_checkpoint_says_nothing_of_coco_classes(tmp_path, recwarn):
    # mmdet's init_detector warns "checkpoint is None, use COCO classes" on
    # its way to our checkpoint's classes: the user must not read it
    import torch
    from mmengine.config import Config

    from lodaa_plugin.apis import init_detector_strict
    from lodaa_plugin.utils.builders import build_model_without_weights
    config = config_path('fcos_voc_224.py')
    model, _ = build_model_without_weights(Config.fromfile(config))
    checkpoint = tmp_path / 'weights.pth'
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=('cat', ) * 20))), checkpoint)
    loaded = init_detector_strict(config, str(checkpoint))
    assert loaded.dataset_meta['classes'] == ('cat', ) * 20
    assert not [w for w in recwarn if 'COCO classes' in str(w.message)]
