# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The trained test model exported once for every deployment test."""
import glob
import os.path as osp

import pytest

from lodaa_plugin.testing import (PYTHON, VOC07_ROOT, config_path, run_tool,
                                  tool_path)

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
