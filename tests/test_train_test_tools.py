# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""tools/train.py, tools/test.py and tools/dist_train.sh end to end on real
VOC photos (random backbone weights: no download here)."""
import os
import os.path as osp
import re
import subprocess

import pytest
from conftest import PYTHON, REPO_ROOT, VOC07_ROOT, python_env

FOUR_IDS = ['000005', '000007', '000009', '000012']


@pytest.fixture
def four_image_voc(tmp_path):
    """A VOC root whose split lists 4 real VOC2007 photos."""
    year = tmp_path / 'VOCdevkit' / 'VOC2007'
    (year / 'ImageSets' / 'Main').mkdir(parents=True)
    for sub in ('Annotations', 'JPEGImages'):
        os.symlink(osp.join(VOC07_ROOT, 'VOC2007', sub), year / sub)
    (year / 'ImageSets' / 'Main' / 'four.txt').write_text(
        '\n'.join(FOUR_IDS) + '\n')
    return str(tmp_path / 'VOCdevkit') + '/'


def _data_options(root: str, split: str) -> list:
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}',
                 f'{loader}.dataset.ann_file=VOC2007/ImageSets/Main/{split}',
                 f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    return opts


def _run(args, cwd, timeout=600):
    result = subprocess.run(args, cwd=cwd, env=python_env(),
                            capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    return output


def test_overfit_four_images_then_test_prints_table(tmp_path,
                                                    four_image_voc):
    work_dir = tmp_path / 'work'
    _run([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'),
        '--work-dir', str(work_dir), '--cfg-options',
        *_data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=100',
        'train_cfg.val_interval=1000', 'train_dataloader.batch_size=4',
        'default_hooks.checkpoint.interval=100',
        'train_dataloader.dataset.pipeline.3.prob=0.0'
    ], cwd=tmp_path)
    checkpoint = work_dir / 'iter_100.pth'
    assert checkpoint.is_file()
    output = _run([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'test.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), str(checkpoint),
        '--work-dir', str(work_dir), '--out', str(tmp_path / 'preds.pkl'),
        '--cfg-options', *_data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None'
    ], cwd=tmp_path)
    # the per-class table with every VOC class, then the mAP
    assert '| class ' in output and '| tvmonitor ' in output
    mean_ap = float(re.findall(r'pascal_voc/mAP: ([\d.]+)', output)[-1])
    assert mean_ap > 0.5, output[-3000:]
    assert (tmp_path / 'preds.pkl').is_file()


def test_dist_train_two_cpu_processes(tmp_path, four_image_voc):
    env_python = osp.dirname(PYTHON)
    # dist_train.sh calls `python`: the one of this environment
    output = _run([
        'env', f'PATH={env_python}:{os.environ["PATH"]}', 'PORT=29641',
        'bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '2',
        '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        *_data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'train_dataloader.batch_size=2',
        'default_hooks.logger.interval=2',
        'default_hooks.checkpoint.interval=4'
    ], cwd=tmp_path)
    assert 'Distributed training: True' in output
    assert 'gloo' in output
    assert re.search(r'Iter\(train\) \[4/4\]', output)
    assert 'pascal_voc/mAP' in output
    assert (tmp_path / 'work' / 'iter_4.pth').is_file()
