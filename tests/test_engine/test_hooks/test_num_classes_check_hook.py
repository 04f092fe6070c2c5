# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""NumClassesCheckHook stops a run whose head and dataset disagree."""
import os.path as osp
import subprocess

import pytest

from lodaa_testing import PYTHON, REPO_ROOT, python_env


@pytest.mark.slow
def test_mismatched_head_and_dataset_classes(tmp_path):
    from lodaa_testing import CELLS_ROOT, data_options
    result = subprocess.run([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '--work-dir',
        str(tmp_path), '--cfg-options',
        *data_options(CELLS_ROOT + '/', 'trainval.txt'),
        'model.backbone.init_cfg=None'
    ],
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode != 0
    assert ('The train dataset has 1 classes (cellbody) but the model head '
            'predicts 20: set num_classes=1') in result.stderr
