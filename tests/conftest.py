# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
import os
import os.path as osp
import sys

import pytest

import lodaa_plugin  # noqa: F401  (compat fixes before any test builds)

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
