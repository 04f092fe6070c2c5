# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""tools/train.py and tools/test.py end to end on real VOC photos (random
backbone weights: no download here)."""
import os.path as osp
import re
import subprocess

import numpy as np
import pytest

from lodaa_testing import (CELLS_ROOT, PYTHON, REPO_ROOT, data_options,
                           python_env, run_tool, with_run_logs)


@pytest.mark.slow
def test_cells_dataset_trains_and_evaluates(tmp_path):
    """A custom-class dataset: only data_root and the classes change."""
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '--work-dir',
        str(tmp_path), '--cfg-options',
        f'train_dataloader.dataset.data_root={CELLS_ROOT}/',
        'train_dataloader.dataset.ann_file='
        'VOC2007/ImageSets/Main/trainval.txt',
        f'val_dataloader.dataset.data_root={CELLS_ROOT}/',
        'val_dataloader.dataset.ann_file=VOC2007/ImageSets/Main/test.txt',
        'model.bbox_head.num_classes=1', 'model.backbone.init_cfg=None',
        'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
        'train_dataloader.batch_size=3', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False'
    ],
                      cwd=tmp_path)
    assert '| cellbody ' in output
    assert re.search(r'Iter\(val\) \[1/1\]\s+pascal_voc/mAP', output)


@pytest.mark.slow
def test_overfit_four_images_then_test_prints_table(tmp_path, trained_fcos):
    work_dir, data_root = trained_fcos
    checkpoint = osp.join(work_dir, 'iter_100.pth')
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'test.py'),
        osp.join(REPO_ROOT, 'configs',
                 'fcos_voc_224.py'), checkpoint, '--work-dir',
        str(tmp_path), '--out',
        str(tmp_path / 'preds.pkl'), '--cfg-options',
        *data_options(data_root, 'four.txt'), 'model.backbone.init_cfg=None'
    ],
                      cwd=tmp_path)
    # the per-class table with every VOC class, then the mAP
    assert '| class ' in output and '| tvmonitor ' in output
    mean_ap = float(re.findall(r'pascal_voc/mAP: ([\d.]+)', output)[-1])
    assert mean_ap > 0.5, output[-3000:]
    assert (tmp_path / 'preds.pkl').is_file()


@pytest.mark.slow
def test_test_and_image_demo_refuse_a_checkpoint_of_another_model(
        tmp_path, trained_fcos):
    import subprocess

    from lodaa_testing import VOC07_ROOT, python_env
    work_dir, data_root = trained_fcos
    checkpoint = osp.join(work_dir, 'iter_100.pth')
    config = osp.join(REPO_ROOT, 'configs', 'demo', 'fcos_synthetic_demo.py')
    image = osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '000005.jpg')
    commands = {
        'test.py': [
            config, checkpoint, '--work-dir',
            str(tmp_path), '--cfg-options',
            *data_options(data_root, 'four.txt')
        ],
        'image_demo.py':
        [image, config, checkpoint, '--out-dir',
         str(tmp_path / 'drawn')],
    }
    for tool, args in commands.items():
        result = subprocess.run(
            [PYTHON, osp.join(REPO_ROOT, 'tools', tool), *args],
            cwd=tmp_path,
            env=python_env(),
            capture_output=True,
            text=True,
            timeout=300)
        assert result.returncode != 0, tool
        assert f'{checkpoint} does not fit for the model of {config}' in \
            result.stderr, result.stderr[-3000:]
        assert 'size mismatch' in result.stderr
    assert not (tmp_path / 'drawn').exists()


@pytest.mark.slow
def test_ema_and_tensorboard_and_wandb_logging(tmp_path, four_image_voc,
                                               monkeypatch):
    import glob

    import torch
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    monkeypatch.setenv('WANDB_MODE', 'offline')
    work_dir = tmp_path / 'work'
    run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '--ema',
        '--vis-backend', 'tensorboard', 'wandb', '--work-dir', work_dir,
        '--cfg-options', *data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'train_dataloader.batch_size=2',
        'default_hooks.checkpoint.interval=4',
        'default_hooks.logger.interval=2'
    ],
             cwd=tmp_path)
    checkpoint = torch.load(work_dir / 'iter_4.pth', weights_only=False)
    # state_dict holds the average, ema_state_dict the raw weights
    averaged = checkpoint['state_dict']
    raw = {
        k.replace('module.', '', 1): v
        for k, v in checkpoint['ema_state_dict'].items() if k != 'steps'
    }
    weight = 'bbox_head.conv_cls.weight'
    assert not torch.equal(averaged[weight], raw[weight])
    # resumed without --ema it would go on from the average: refused
    resume = [
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs',
                 'fcos_voc_224.py'), '--resume', '--work-dir', work_dir,
        '--cfg-options', *data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=6',
        'train_cfg.val_interval=6', 'train_dataloader.batch_size=2'
    ]
    refused = subprocess.run([str(a) for a in resume],
                             cwd=tmp_path,
                             env=python_env(),
                             capture_output=True,
                             text=True)
    assert refused.returncode != 0
    assert 'iter_4.pth was saved by a run with EMA' in refused.stderr
    assert not (work_dir / 'iter_6.pth').exists()
    run_tool(resume + ['--ema'], cwd=tmp_path)
    assert (work_dir / 'iter_6.pth').exists()

    events = glob.glob(str(work_dir / '*' / 'vis_data' / 'events.out.*'))
    assert len(events) == 1
    scalars = EventAccumulator(events[0]).Reload().Tags()['scalars']
    assert {'loss', 'loss_cls', 'pascal_voc/mAP'} <= set(scalars)
    runs = glob.glob(
        str(work_dir / '*' / 'vis_data' / 'wandb' / 'offline-run-*' /
            'run-*.wandb'))
    assert len(runs) == 1 and osp.getsize(runs[0]) > 0


@pytest.mark.slow
def test_test_with_flip_tta(tmp_path, trained_fcos):
    work_dir, data_root = trained_fcos
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'test.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'),
        osp.join(work_dir, 'iter_100.pth'), '--tta', '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(data_root, 'four.txt'),
        'model.backbone.init_cfg=None'
    ],
                      cwd=tmp_path)
    logged = with_run_logs(output)  # the config is in the log file
    assert 'DetTTAModel' in logged or 'TestTimeAug' in logged
    mean_ap = float(re.findall(r'pascal_voc/mAP: ([\d.]+)', output)[-1])
    assert mean_ap > 0.5, output[-3000:]


@pytest.mark.slow
def test_amp_on_the_cpu_trains_in_bf16_and_resumes(tmp_path, four_image_voc):
    import torch
    work_dir = tmp_path / 'work'
    command = [
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs',
                 'fcos_voc_224.py'), '--amp', '--work-dir', work_dir,
        '--cfg-options', *data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.val_interval=100',
        'train_dataloader.batch_size=2', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=2'
    ]
    output = run_tool(command + ['train_cfg.max_iters=2'], cwd=tmp_path)
    if torch.cuda.is_available():
        pytest.skip('checks the CPU default of --amp')
    assert "dtype='bfloat16'" in with_run_logs(output)
    losses = [float(v) for v in re.findall(r' loss: ([\d.]+)', output)]
    assert len(losses) == 2 and all(np.isfinite(losses))
    resumed = run_tool(
        command + ['train_cfg.max_iters=4', '--resume'], cwd=tmp_path)
    assert 'resumed epoch: 0, iter: 2' in resumed.lower() or \
        'Iter(train) [3/4]' in resumed
    assert (work_dir / 'iter_4.pth').is_file()


@pytest.mark.slow
def test_test_compare_prints_the_paired_difference(tmp_path, trained_fcos):
    work_dir, data_root = trained_fcos
    output = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'test.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'),
        osp.join(work_dir, 'iter_100.pth'), '--compare',
        osp.join(work_dir, 'iter_100.pth'), '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(data_root, 'four.txt'),
        'model.backbone.init_cfg=None'
    ],
                      cwd=tmp_path)
    # 4 test images: every mAP without an interval, said so
    assert re.search(r'VOC07 11-point [\d.]+ \[n/a\]', output)
    assert 'no interval on 4 test images, fewer than 10' in output
    # the same weights twice: the same detections, undecided on 4 images
    found = re.search(
        r'mAP_11points, 4 test images: .*: \+0\.0000 \[n/a\]: undecided',
        output)
    assert found, output[-3000:]
    assert 'coco_AP, 4 test images' in output


def _train(work_dir, data_root, *extra):
    return [
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        *data_options(data_root, 'four.txt'), 'model.backbone.init_cfg=None',
        'train_cfg.val_interval=100', 'train_dataloader.batch_size=2',
        'default_hooks.checkpoint.interval=2'
    ]


def _run(command, cwd):
    return subprocess.run([str(a) for a in command],
                          cwd=str(cwd),
                          env=python_env(),
                          capture_output=True,
                          text=True,
                          timeout=900)


def test_resume_with_nothing_to_resume_is_refused(tmp_path, four_image_voc):
    """Not a silent start from scratch over the folder's checkpoints: what
    was found is named."""
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'iter_4.pth').write_bytes(b'truncated')
    result = _run(_train(work, four_image_voc, '--resume'), tmp_path)
    assert result.returncode != 0
    assert f'--resume: nothing in {work} to resume from' in result.stderr
    assert f'{work}/iter_4.pth cannot be loaded' in result.stderr
    assert (work / 'iter_4.pth').read_bytes() == b'truncated'
    assert 'Iter(train)' not in result.stdout + result.stderr


def test_resume_with_another_models_checkpoint_is_refused_first(
        tmp_path, four_image_voc):
    """mmengine warns, resumes, then fails in the optimizer: refused before
    training, the layers named."""
    from mmengine.runner.checkpoint import save_checkpoint

    from lodaa_plugin.utils.builders import build_model_without_weights
    from lodaa_plugin.utils.config_loading import read_config
    cfg = read_config(
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), {
            'model.backbone.init_cfg': None,
            'model.bbox_head.num_classes': 3
        })
    other = tmp_path / 'other.pth'
    save_checkpoint(
        dict(
            state_dict=build_model_without_weights(cfg)[0].state_dict(),
            meta=dict(iter=2, epoch=0)), str(other))
    for resume in ([str(other)], []):
        work = tmp_path / f'work{len(resume)}'
        work.mkdir()
        if not resume:  # found by the pointer
            (work / 'last_checkpoint').write_text(str(other))
        result = _run(
            _train(work, four_image_voc, '--resume', *resume), tmp_path)
        assert result.returncode != 0
        assert f'--resume: {other} does not fit' in result.stderr
        assert 'bbox_head.conv_cls.weight' in result.stderr
        assert 'Iter(train)' not in result.stdout + result.stderr


@pytest.mark.slow
def test_resume_without_the_pointer_continues_from_the_newest(
        tmp_path, four_image_voc):
    work = tmp_path / 'work'
    run_tool(
        _train(work, four_image_voc) + ['train_cfg.max_iters=4'], cwd=tmp_path)
    (work / 'last_checkpoint').unlink()
    (work / 'iter_6.pth').write_bytes(b'killed while copying')
    before = (work / 'iter_4.pth').read_bytes()
    output = run_tool(
        _train(work, four_image_voc, '--resume') + ['train_cfg.max_iters=6'],
        cwd=tmp_path)
    assert f'resuming from {work}/iter_4.pth, the newest' in output
    assert f'{work}/iter_6.pth cannot be loaded' in output
    assert 'Iter(train) [5/6]' in output, output[-3000:]
    assert (work / 'iter_4.pth').read_bytes() == before
    assert (work / 'iter_6.pth').stat().st_size > 1000  # written again
