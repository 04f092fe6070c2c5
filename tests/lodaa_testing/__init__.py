# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Fixtures for LODAA's tests only: paths of a checkout, running tools, VOC
trees made from the shipped samples, a reference VOC AP, a toy runner and a
stand-in ``srun``.

Nothing outside ``tests/`` imports this package (``tests/test_layout.py``
holds that), and ``import lodaa_plugin`` does not import it.
"""
from .log_capture import logged_messages, logged_warnings
from .paths import (CELLS_ROOT, CONFIG_DIR, FOUR_IDS, REPO_ROOT, TEST_DATA_DIR,
                    TOOLS_DIR, VOC07_ROOT, config_path, tool_path)
from .tools import PYTHON, data_options, python_env, run_tool, with_run_logs
from .voc_data import make_voc_subset

__all__ = [
    'logged_messages', 'logged_warnings', 'CELLS_ROOT', 'CONFIG_DIR',
    'FOUR_IDS', 'REPO_ROOT', 'TEST_DATA_DIR', 'TOOLS_DIR', 'VOC07_ROOT',
    'config_path', 'tool_path', 'PYTHON', 'data_options', 'python_env',
    'run_tool', 'with_run_logs', 'make_voc_subset'
]
