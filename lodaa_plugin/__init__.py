# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA ("Look Once Detect All"): FCOS detection and multi-label
classification on PASCAL VOC for MMDetection and MMPretrain.

Importing the package checks the OpenMMLab versions and registers every module
into the mmengine, mmdet and mmpretrain registries. It changes exactly three
things of other libraries (:data:`lodaa_plugin.compat.ON_IMPORT`):

- ``mmcv.utils.ext_loader.load_ext``, only for an mmcv without compiled ops
  (mmcv-lite): torchvision kernels (:mod:`~lodaa_plugin.compat.kernels`);
  without them mmdet.models does not import.
- ``mmpretrain.utils.dependency.WITH_MULTIMODAL``, only beside a transformers
  mmpretrain's multimodal models cannot import: they are switched off
  (:mod:`~lodaa_plugin.compat.multimodal`); without it mmpretrain.models does
  not import.
- ``mmengine.runner.checkpoint.CheckpointLoader._schemes['']``: a checkpoint
  today's torch refuses names the import that loads it
  (:func:`~lodaa_plugin.compat.checkpoint.advise_compat_import`).

Without the OpenMMLab packages (a deployment host) it registers nothing and
warns; :mod:`lodaa_plugin.deployment` runs exported models with numpy, OpenCV
and ONNX Runtime or OpenVINO only. The fixes for today's PyTorch are opt-in
(:mod:`lodaa_plugin.compat.enable`), and so are the "did you mean" hints
(:mod:`lodaa_plugin.compat.enable_hints`)::

    custom_imports = dict(
        imports=['lodaa_plugin', 'lodaa_plugin.compat.enable'],
        allow_failed_imports=False)
"""
import warnings

from .version import __version__

_OPENMMLAB = ('mmcv', 'mmdet', 'mmengine', 'mmpretrain')

try:
    import mmcv
    import mmdet
    import mmengine
    import mmpretrain
except ModuleNotFoundError as error:
    if error.name not in _OPENMMLAB:
        raise
    # a deployment host: the exported-model runtime needs none of them
    warnings.warn(
        f'lodaa_plugin: {error.name} is not installed, so nothing is '
        'registered; only lodaa_plugin.deployment (the runtime of exported '
        'models) works. `make env` installs the training stack.')
else:
    from mmengine.utils import digit_version

    from .compat.checkpoint import advise_compat_import
    from .compat.kernels import install_kernel_fallbacks
    from .compat.multimodal import patch_mmpretrain_multimodal

    # (package, lowest version, first version not supported)
    _REQUIRED = ((mmcv, '2.1.0', '2.2.0'), (mmengine, '0.10.7', '0.11.0'),
                 (mmdet, '3.3.0', '3.4.0'), (mmpretrain, '1.2.0', '1.3.0'))

    for _package, _low, _high in _REQUIRED:
        _version = digit_version(_package.__version__)
        assert digit_version(_low) <= _version < digit_version(_high), (
            f'{_package.__name__}=={_package.__version__} is not supported '
            f'by lodaa_plugin {__version__}: install >={_low},<{_high}.')

    # before anything imports mmcv.ops: without compiled ops (mmcv-lite) its
    # modules would fail to import, and mmdet.models with them
    install_kernel_fallbacks()
    # mmpretrain.models must stay importable beside a new transformers
    patch_mmpretrain_multimodal()

    from . import datasets, engine, evaluation, models  # noqa: F401

    # without lodaa_plugin.compat.enable, torch's refusal of an mmengine
    # checkpoint says which import fixes it
    advise_compat_import()

__all__ = ['__version__']
