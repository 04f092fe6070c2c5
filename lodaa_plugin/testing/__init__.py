# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Helpers shared by LODAA's tests, benchmarks and demo: paths of a checkout,
running tools, VOC data made from samples or synthesised, a reference VOC
evaluation, torchvision's FCOS as a twin of a LODAA config. Not imported by
``import lodaa_plugin``."""
from .log_capture import logged_warnings
from .paths import (CELLS_ROOT, CONFIG_DIR, FOUR_IDS, REPO_ROOT, TEST_DATA_DIR,
                    TOOLS_DIR, VOC07_ROOT, config_path, tool_path)
from .tools import PYTHON, data_options, python_env, run_tool
from .voc_data import copy_voc_sample, make_voc_subset

__all__ = [
    'logged_warnings', 'CELLS_ROOT', 'CONFIG_DIR', 'FOUR_IDS', 'REPO_ROOT',
    'TEST_DATA_DIR', 'TOOLS_DIR', 'VOC07_ROOT', 'config_path', 'tool_path',
    'PYTHON', 'data_options', 'python_env', 'run_tool', 'copy_voc_sample',
    'make_voc_subset'
]
