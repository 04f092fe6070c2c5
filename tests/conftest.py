# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Fixtures shared by LODAA's tests; helpers live in lodaa_testing."""
import glob
import os
import os.path as osp
import tempfile

import pytest

import lodaa_plugin  # noqa: F401  (registers LODAA's modules)
from lodaa_plugin.compat import enable_compat
from lodaa_testing import (FOUR_IDS, PYTHON, VOC07_ROOT, config_path,
                           data_options, make_voc_subset, run_tool, tool_path)

# the tests exercise LODAA as its tools and configs run it: fixes on
enable_compat()
# parsed-annotation caches of the tests' temporary datasets stay out of ~
os.environ.setdefault('LODAA_CACHE_DIR',
                      tempfile.mkdtemp(prefix='lodaa-test-cache-'))


@pytest.fixture
def four_image_voc(tmp_path) -> str:
    """A VOC root whose ``four.txt`` lists four real VOC2007 photos."""
    return make_voc_subset(tmp_path, FOUR_IDS)


@pytest.fixture(scope='session')
def trained_fcos(tmp_path_factory):
    """fcos_voc_224 trained by tools/train.py for 100 iterations on 4 real
    VOC photos (random backbone: no download); checkpoints at 50 and 100.

    Returns:
        tuple[str, str]: The work dir and the data root.
    """
    root = tmp_path_factory.mktemp('trained_fcos')
    data_root = make_voc_subset(root, FOUR_IDS)
    work_dir = root / 'work'
    run_tool([
        PYTHON,
        tool_path('train.py'),
        config_path('fcos_voc_224.py'), '--work-dir',
        str(work_dir), '--cfg-options', *data_options(data_root, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=100',
        'train_cfg.val_interval=1000', 'train_dataloader.batch_size=4',
        'default_hooks.checkpoint.interval=50',
        'train_dataloader.dataset.pipeline.3.prob=0.0', 'randomness.seed=0'
    ],
             cwd=str(root))
    return str(work_dir), data_root


@pytest.fixture
def mmdet_scope() -> None:
    """Build from mmdet's registries, whatever scope a test before set."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')


# real VOC photos the deployment tests check the export on
PHOTOS = sorted(
    glob.glob(osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '*.jpg')))[:8]


@pytest.fixture(scope='session')
def exported(trained_fcos, tmp_path_factory):
    """tools/deployment/export.py (OpenVINO too) on the trained model.

    Returns:
        tuple[str, str]: The export folder and the tool's output.
    """
    work_dir, _ = trained_fcos
    out = tmp_path_factory.mktemp('export') / 'fcos'
    output = run_tool([
        PYTHON,
        tool_path('deployment/export.py'),
        config_path('fcos_voc_224.py'),
        osp.join(work_dir, 'iter_100.pth'), '--backend', 'openvino', '--out',
        str(out), '--check-images', *PHOTOS[:4], '--cfg-options',
        'model.backbone.init_cfg=None'
    ],
                      cwd=str(out.parent))
    return str(out), output
