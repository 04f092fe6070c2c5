# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Building a config's model, dataset and runner in the config's scope, for
tools that need one of them without training."""
import importlib
from types import ModuleType
from typing import Any, Tuple

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner


def build_model_without_weights(cfg: Config) -> Tuple[Any, ModuleType]:
    """Build the config's model in its scope, skipping pretrained weights.

    For tools that load a checkpoint afterwards or need no weights at all.

    Args:
        cfg (Config): The config (its backbone ``init_cfg`` is cleared).

    Returns:
        tuple: The model and the scope's registry module (``MODELS``,
        ``DATASETS``, ...).
    """
    scope = cfg.get('default_scope', 'mmdet')
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry')
    if 'init_cfg' in cfg.model.get('backbone', {}):
        cfg.model.backbone.init_cfg = None
    return registry.MODELS.build(cfg.model), registry


def build_dataset(cfg: Config, phase: str = 'test') -> Any:
    """Build a config's dataset (with its pipeline) in the config's scope.

    Args:
        cfg (Config): The config.
        phase (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'test'``.

    Returns:
        BaseDataset: The dataset.
    """
    scope = cfg.get('default_scope', 'mmdet')
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry')
    return registry.DATASETS.build(cfg[f'{phase}_dataloader'].dataset)


def build_runner(cfg: Config) -> Runner:
    """Build the runner the config asks for (``runner_type``) or the default.

    Args:
        cfg (Config): The full config.

    Returns:
        Runner: The runner.
    """
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
