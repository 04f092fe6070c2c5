# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""An unknown type= names the closest registered types once hints are on."""
import os.path as osp

import pytest

from lodaa_plugin.testing import REPO_ROOT


# ------------------------------------------------------ config mistakes
def test_unknown_type_names_the_closest_registered_types():
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    with pytest.raises(KeyError, match='Did you mean: FCOSRegCenternessHead'):
        MODELS.build(
            dict(type='FCOSRegCentrenessHead', num_classes=2, in_channels=8))
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'))
    cfg.model.backbone.type = 'TorchvisionBackbon'
    with pytest.raises(KeyError) as err:
        MODELS.build(cfg.model)
    assert 'Did you mean: TorchvisionBackbone' in str(err.value)
