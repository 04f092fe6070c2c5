# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""tools/dist_train.sh and torchrun on 2 CPU processes, and a dying worker."""
import os
import os.path as osp
import re
import time

import pytest

from lodaa_testing import (PYTHON, REPO_ROOT, data_options, run_tool,
                           with_run_logs)
from lodaa_testing.toy import run_toy


# ----------------------------------------------------------- distributed
@pytest.mark.slow
def test_a_dying_torchrun_worker_ends_the_job(tmp_path):
    started = time.time()
    result = run_toy([tmp_path, 50],
                     env=dict(
                         TOY_DIE_RANK='1', TOY_DIE_AT='3', TOY_SLEEP='0.05'),
                     timeout=240,
                     nproc=2,
                     port=29651)
    assert result.returncode != 0
    assert time.time() - started < 180
    assert 'exitcode  : 3' in result.stderr or 'exit code 3' in \
        result.stderr.lower(), result.stderr[-3000:]


@pytest.mark.slow
def test_dist_train_two_cpu_processes(tmp_path, four_image_voc):
    env_python = osp.dirname(PYTHON)
    # dist_train.sh calls `python`: the one of this environment
    output = run_tool([
        'env', f'PATH={env_python}:{os.environ["PATH"]}', 'PORT=29641', 'bash',
        osp.join(REPO_ROOT, 'tools', 'dist_train.sh'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '2', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        *data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'train_dataloader.batch_size=2',
        'default_hooks.logger.interval=2',
        'default_hooks.checkpoint.interval=4'
    ],
                      cwd=tmp_path)
    output = with_run_logs(output)  # the environment is in the log file
    assert 'Distributed training: True' in output
    assert 'gloo' in output
    assert re.search(r'Iter\(train\) \[4/4\]', output)
    assert 'pascal_voc/mAP' in output
    assert (tmp_path / 'work' / 'iter_4.pth').is_file()
