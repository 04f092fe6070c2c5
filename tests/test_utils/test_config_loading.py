# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The tools' --cfg-options refuse keys that nothing would read."""
import pytest
from mmengine.config import Config

from lodaa_plugin.testing import config_path
from lodaa_plugin.utils.config_loading import check_option_keys


def test_a_misspelt_key_names_the_closest_setting():
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    with pytest.raises(ValueError) as err:
        check_option_keys(cfg, {'load_form': 'x.pth'})
    assert "'load_form': no setting 'load_form' exists (did you mean " \
        'load_from?)' in str(err.value)


def test_a_config_variable_names_the_settings_that_use_it():
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    with pytest.raises(ValueError) as err:
        check_option_keys(cfg, {'max_iters': 5})
    message = str(err.value)
    assert "'max_iters' is a variable of the config file" in message
    assert 'train_cfg.max_iters' in message


def test_settings_the_runner_reads_pass():
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    check_option_keys(
        cfg, {
            'train_cfg.max_iters': 5,
            'load_from': 'a.pth',
            'model.bbox_head.num_classes': 3,
            'randomness.seed': 0
        })
