# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""An unknown type= names the closest registered types once hints are on."""
import os.path as osp

import pytest

from lodaa_plugin.compat.registry_hints import (enable_registry_hints,
                                                registered_names)
from lodaa_testing import REPO_ROOT


def test_registered_names_cover_every_scope():
    from mmdet.registry import MODELS
    names = registered_names(MODELS)
    # mmdet's own, mmpretrain's (a sibling scope) and LODAA's
    assert {'FCOS', 'ImageClassifier', 'FCOSRegCenternessHead'} <= set(names)


def test_unknown_type_names_the_closest_registered_types():
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    enable_registry_hints()
    build = MODELS.build.__func__
    assert not enable_registry_hints()  # idempotent: one wrapper
    assert enable_registry_hints.applied and MODELS.build.__func__ is build
    init_default_scope('mmdet')
    with pytest.raises(KeyError, match='Did you mean: FCOSRegCenternessHead'):
        MODELS.build(
            dict(type='FCOSRegCentrenessHead', num_classes=2, in_channels=8))
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'))
    cfg.model.backbone.type = 'TorchvisionBackbon'
    with pytest.raises(KeyError) as err:
        MODELS.build(cfg.model)
    assert 'Did you mean: TorchvisionBackbone' in str(err.value)
    assert str(err.value).count('Did you mean') == 1
