# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The tools' --cfg-options refuse keys that nothing would read."""
import pytest
from mmengine.config import Config

from lodaa_plugin.utils.config_loading import check_option_keys, read_config
from lodaa_testing import config_path


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


@pytest.mark.parametrize('key,message', [
    ('model.test_cfg.nms_pree', 'did you mean nms_pre'),
    ('model.bbox_head.score_fusions', 'FCOSRegCenternessHead takes no '
     "argument 'score_fusions' (did you mean score_fusion"),
    ('train_dataloader.dataset.skip_invalids', 'takes no argument'),
])
def test_a_misspelt_nested_key_is_refused(key, message):
    import lodaa_plugin  # noqa: F401  (registers the types)
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    with pytest.raises(ValueError) as err:
        check_option_keys(cfg, {key: 1})
    assert message in str(err.value)


def test_new_nested_keys_that_are_read_pass():
    import lodaa_plugin  # noqa: F401  (registers the types)
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    check_option_keys(
        cfg, {
            'model.bbox_head.center_sample_radius': 2.0,
            'train_dataloader.dataset.skip_invalid': True,
            'test_dataloader.dataset.pipeline.1.keep_ratio': True,
            'model.test_cfg.nms.iou_threshold': 0.5,
            'optim_wrapper.optimizer.nesterov': True,
            'model.backbone.init_cfg': None,
            'env_cfg.dist_cfg.timeout': 60,
        })


def test_a_missing_config_names_the_closest_ones(tmp_path):
    # a typo of a config's name, and a path nothing resembles
    with pytest.raises(FileNotFoundError) as error:
        read_config(str(tmp_path / 'simple-cnn_1xb64-30e_voc07-64p.py'))
    message = str(error.value)
    assert 'simple-cnn_1xb64-30e_voc07-64p.py does not exist' in message
    assert 'configs/simple_cnn/simple-cnn_1xb64-30e_voc07-64px.py' in message
    with pytest.raises(FileNotFoundError, match='none close, see '):
        read_config(str(tmp_path / 'zzz.py'))


@pytest.mark.parametrize('broken', ['itself', 'its _base_'])
def test_a_syntax_error_names_the_config_and_line(tmp_path, broken):
    """mmengine says File "<unknown>"; the file (the config or the base it
    is in) and the line are named."""
    bad = tmp_path / 'bad.py'
    bad.write_text(f"_base_ = '{config_path('fcos_voc_224.py')}'\n"
                   'x = 1\n'
                   'model = dict(bbox_head=dict(num_classes=3)\n')
    child = tmp_path / 'child.py'
    child.write_text("_base_ = './bad.py'\n")
    with pytest.raises(SyntaxError) as err:
        read_config(str(bad if broken == 'itself' else child))
    assert err.value.filename == str(bad)
    assert err.value.lineno == 3
    assert f'config {bad}, line 3' in str(err.value)
