# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Configs that moved still run under their old names, with a warning that
says where they went."""
import os.path as osp

import pytest

from lodaa_plugin.utils.config_loading import read_config
from lodaa_plugin.utils.moved_configs import (MOVED_CONFIGS,
                                              resolve_moved_config)
from lodaa_testing import CONFIG_DIR, REPO_ROOT


@pytest.mark.parametrize('old', sorted(MOVED_CONFIGS))
def test_every_moved_config_exists_and_is_found_by_its_old_name(old):
    new = osp.join(CONFIG_DIR, MOVED_CONFIGS[old])
    assert osp.isfile(new)
    assert not osp.exists(osp.join(CONFIG_DIR, old))
    with pytest.warns(UserWarning, match='moved to .*' + MOVED_CONFIGS[old]):
        assert resolve_moved_config(osp.join(CONFIG_DIR, old)) == new


def test_relative_old_path_reads_the_same_config(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    with pytest.warns(UserWarning, match='moved to'):
        old = read_config('configs/classification/simple_cnn_voc07.py')
    new = read_config('configs/simple_cnn/simple-cnn_1xb64-30e_voc07-64px.py')
    assert old.to_dict() == new.to_dict()


def test_other_paths_are_left_alone(tmp_path):
    missing = str(tmp_path / 'configs' / 'nothing_here.py')
    assert resolve_moved_config(missing) == missing
    assert resolve_moved_config('configs/fcos_voc.py') == 'configs/fcos_voc.py'
