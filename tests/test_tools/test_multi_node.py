# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Training beyond one machine, on this one: dist_train.sh as two "nodes"
and slurm_train.sh / slurm_test.sh under a stand-in srun."""
import json
import os
import os.path as osp
import re
import signal
import subprocess

import pytest

from lodaa_testing import PYTHON, REPO_ROOT, data_options, with_run_logs
from lodaa_testing.tools import python_env

DIGEST_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs',
                         'fcos_224_weights_digest.py')
SHORT_RUN = [
    'model.backbone.init_cfg=None', 'train_cfg.max_iters=3',
    'train_cfg.val_interval=3', 'train_dataloader.batch_size=2',
    'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=3'
]


def _digests(work_dir, ranks):
    found = []
    for rank in ranks:
        with open(osp.join(work_dir, f'weights_digest_rank{rank}.txt')) as f:
            found.append(f.read().split())
    return found


def _env_with_python():
    env = python_env()
    env['PATH'] = osp.dirname(PYTHON) + os.pathsep + env['PATH']
    env.pop('CUDA_VISIBLE_DEVICES', None)
    return env


@pytest.mark.slow
def test_dist_train_two_nodes_end_with_equal_weights(tmp_path, four_image_voc):
    work_dir = tmp_path / 'work'
    nodes = []
    for node_rank in (0, 1):
        env = _env_with_python()
        env.update(
            NNODES='2',
            NODE_RANK=str(node_rank),
            MASTER_ADDR='127.0.0.1',
            PORT='29671')
        nodes.append(
            subprocess.Popen([
                'bash',
                osp.join(REPO_ROOT, 'tools',
                         'dist_train.sh'), DIGEST_CONFIG, '1', '--work-dir',
                str(work_dir), '--cfg-options',
                *data_options(four_image_voc, 'four.txt'), *SHORT_RUN
            ],
                             cwd=tmp_path,
                             env=env,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             text=True))
    outputs = [node.communicate(timeout=600)[0] for node in nodes]
    for node, output in zip(nodes, outputs):
        assert node.returncode == 0, output[-3000:]
    logged = with_run_logs(outputs[0])  # the environment is in the log
    assert 'world_size: 2' in logged or 'Distributed training: True' in \
        logged
    assert re.search(r'Iter\(train\) \[3/3\]', outputs[0])
    (digest0, world0), (digest1, world1) = _digests(work_dir, (0, 1))
    assert world0 == world1 == 'world_size=2'
    assert digest0 == digest1
    assert (work_dir / 'iter_3.pth').is_file()


@pytest.mark.slow
def test_slurm_scripts_under_a_stand_in_srun(tmp_path, four_image_voc):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(
        f'#!/bin/sh\nexec {PYTHON} -m lodaa_testing.fake_srun "$@"\n')
    (bin_dir / 'scontrol').write_text('#!/bin/sh\necho 127.0.0.1\n')
    for tool in ('srun', 'scontrol'):
        (bin_dir / tool).chmod(0o755)
    env = _env_with_python()
    env.update(
        PATH=f'{bin_dir}{os.pathsep}{env["PATH"]}',
        GPUS='2',
        GRES='',
        CPUS_PER_TASK='1',
        MASTER_PORT='29681',
        FAKE_SRUN_LOG=str(tmp_path / 'srun.json'))
    work_dir = tmp_path / 'work'
    train = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools',
                 'slurm_train.sh'), 'cpu', 'lodaa-test', DIGEST_CONFIG,
        str(work_dir), '--cfg-options',
        *data_options(four_image_voc, 'four.txt'), *SHORT_RUN
    ],
                           cwd=tmp_path,
                           env=env,
                           capture_output=True,
                           text=True,
                           timeout=600)
    assert train.returncode == 0, (train.stdout + train.stderr)[-3000:]
    flags = json.loads((tmp_path / 'srun.json').read_text())
    assert flags['partition'] == 'cpu' and flags['job_name'] == 'lodaa-test'
    assert flags['ntasks'] == 2 and flags['ntasks_per_node'] == 2
    assert flags['gres'] is None  # GRES='' leaves --gres out
    assert flags['command'][-len(SHORT_RUN):] == SHORT_RUN
    assert '--launcher=slurm' in flags['command']
    (digest0, world0), (digest1, world1) = _digests(work_dir, (0, 1))
    assert world0 == world1 == 'world_size=2'
    assert digest0 == digest1

    env['MASTER_PORT'] = '29682'
    test = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools',
                 'slurm_test.sh'), 'cpu', 'lodaa-test', DIGEST_CONFIG,
        str(work_dir / 'iter_3.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        *data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None'
    ],
                          cwd=tmp_path,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    output = test.stdout + test.stderr
    assert test.returncode == 0, output[-3000:]
    assert re.search(r'pascal_voc/mAP: [\d.]+', output)


def test_slurm_script_asks_for_gpus_by_default(tmp_path):
    """Without GRES set, one GPU per task is requested, at most 8 a node."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir /
     'srun').write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    (bin_dir / 'srun').chmod(0o755)
    env = dict(
        os.environ,
        PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
        GPUS='16')
    env.pop('GRES', None)
    out = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools', 'slurm_train.sh'), 'gpu', 'job',
        'configs/fcos_voc.py', 'work_dirs/x', '--amp'
    ],
                         env=env,
                         capture_output=True,
                         text=True,
                         check=True).stdout.splitlines()
    assert '--gres=gpu:8' in out and '--ntasks=16' in out
    assert '--ntasks-per-node=8' in out and out[-1] == '--amp'


def _dist_train(work_dir, port, data, *flags, iters=8):
    env = _env_with_python()
    env['PORT'] = str(port)
    return subprocess.Popen([
        'bash',
        osp.join(REPO_ROOT, 'tools',
                 'dist_train.sh'), DIGEST_CONFIG, '2', *flags, '--work-dir',
        str(work_dir), '--cfg-options', *data, 'model.backbone.init_cfg=None',
        'randomness.seed=0', f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters}', 'train_dataloader.batch_size=1',
        'train_dataloader.num_workers=1', 'default_hooks.logger.interval=1',
        f'default_hooks.checkpoint.interval={iters}'
    ],
                            cwd=osp.dirname(str(work_dir)),
                            env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True,
                            start_new_session=True)


@pytest.mark.slow
def test_dist_train_preempted_as_a_process_group(tmp_path, four_image_voc):
    """SIGTERM to the process group of ``dist_train.sh`` with 2 ranks, each
    with a DataLoader worker: a checkpoint, exit 75 (not torchrun's 1), and
    --resume ends with the weights of an uninterrupted run."""
    data = data_options(four_image_voc, 'four.txt')
    straight = _dist_train(tmp_path / 'straight', 29691, data)
    output = straight.communicate(timeout=600)[0]
    assert straight.returncode == 0, output[-3000:]
    work = tmp_path / 'preempted'
    run = _dist_train(work, 29692, data)
    seen = []
    for line in run.stdout:
        seen.append(line)
        if re.search(r'Iter\(train\) \[2/8\]', line):
            os.killpg(run.pid, signal.SIGTERM)
            break
    output = ''.join(seen) + run.communicate(timeout=300)[0]
    assert run.returncode == 75, output[-3000:]
    assert 'DataLoader worker' not in output
    saved = list(work.glob('preempted_iter_*.pth'))
    assert len(saved) == 1, output[-3000:]
    assert 2 <= int(saved[0].stem.rsplit('_', 1)[1]) < 8
    assert 'the ranks stopped with status 75' in output
    resumed = _dist_train(work, 29693, data, '--resume')
    output = resumed.communicate(timeout=600)[0]
    assert resumed.returncode == 0, output[-3000:]
    assert f'Auto resumed from the latest checkpoint {saved[0]}' in output
    assert _digests(work, (0, 1)) == _digests(tmp_path / 'straight', (0, 1))
