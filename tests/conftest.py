# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
import contextlib
import logging
import os
import os.path as osp
import sys
import tempfile

import pytest

import lodaa_plugin  # noqa: F401  (compat fixes before any test builds)

# parsed-annotation caches of the tests' temporary datasets stay out of ~
os.environ.setdefault(
    'LODAA_CACHE_DIR', tempfile.mkdtemp(prefix='lodaa-test-cache-'))

TESTS_DIR = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(TESTS_DIR)
DATA_DIR = osp.join(TESTS_DIR, 'data')
VOC07_ROOT = osp.join(DATA_DIR, 'voc2007_sample', 'VOCdevkit')


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def voc07_root() -> str:
    return VOC07_ROOT


def python_env() -> dict:
    """Environment for subprocesses: the repo importable, one thread."""
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


PYTHON = sys.executable


FOUR_IDS = ['000005', '000007', '000009', '000012']


def make_voc_subset(root, ids, split='four.txt') -> str:
    """A VOC root whose split lists some of the real VOC2007 sample photos."""
    year = root / 'VOCdevkit' / 'VOC2007'
    (year / 'ImageSets' / 'Main').mkdir(parents=True)
    for sub in ('Annotations', 'JPEGImages'):
        os.symlink(osp.join(VOC07_ROOT, 'VOC2007', sub), year / sub)
    (year / 'ImageSets' / 'Main' / split).write_text('\n'.join(ids) + '\n')
    test_list = osp.join(VOC07_ROOT, 'VOC2007', 'ImageSets', 'Main',
                         'test.txt')
    os.symlink(test_list, year / 'ImageSets' / 'Main' / 'test.txt')
    return str(root / 'VOCdevkit') + '/'


@pytest.fixture
def four_image_voc(tmp_path):
    return make_voc_subset(tmp_path, FOUR_IDS)


def data_options(root: str, split: str) -> list:
    """--cfg-options pointing every loader of a detection config at a VOC
    split, without worker processes."""
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}',
                 f'{loader}.dataset.ann_file=VOC2007/ImageSets/Main/{split}',
                 f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    return opts


def run_tool(args, cwd, timeout=900) -> str:
    """Run a command; fail the test with its output tail if it fails."""
    import subprocess
    result = subprocess.run(args, cwd=cwd, env=python_env(),
                            capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    return output


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
        PYTHON, osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'),
        '--work-dir', str(work_dir), '--cfg-options',
        *data_options(data_root, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=100',
        'train_cfg.val_interval=1000', 'train_dataloader.batch_size=4',
        'default_hooks.checkpoint.interval=50',
        'train_dataloader.dataset.pipeline.3.prob=0.0', 'randomness.seed=0'
    ], cwd=root)
    return str(work_dir), data_root


@contextlib.contextmanager
def logged_warnings():
    """Collect the warnings print_log(logger='current') emits meanwhile."""
    from mmengine.logging import MMLogger
    messages = []

    class _Collect(logging.Handler):

        def emit(self, record):
            if record.levelno >= logging.WARNING:
                messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
CELLS_ROOT = osp.join(DATA_DIR, 'cells_voc', 'VOCdevkit')
