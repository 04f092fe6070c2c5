# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""tools/train.py, tools/test.py and tools/dist_train.sh end to end on real
VOC photos (random backbone weights: no download here)."""
import os
import os.path as osp
import re

from conftest import PYTHON, REPO_ROOT, data_options, run_tool


def test_overfit_four_images_then_test_prints_table(tmp_path,
                                                    trained_fcos):
    work_dir, data_root = trained_fcos
    checkpoint = osp.join(work_dir, 'iter_100.pth')
    output = run_tool([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'test.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), checkpoint,
        '--work-dir', str(tmp_path), '--out', str(tmp_path / 'preds.pkl'),
        '--cfg-options', *data_options(data_root, 'four.txt'),
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
    output = run_tool([
        'env', f'PATH={env_python}:{os.environ["PATH"]}', 'PORT=29641',
        'bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '2',
        '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        *data_options(four_image_voc, 'four.txt'),
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
