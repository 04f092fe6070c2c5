# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA's configs set up for small test runs on the shipped VOC sample."""
import os.path as osp

from mmengine.config import Config

from .paths import VOC07_ROOT, config_path


def classification_config(name: str, **overrides) -> Config:
    """Load a classification config that trains briefly on the VOC sample.

    Random initial weights (nothing downloads), batch 4, 2 epochs, no
    worker processes, every loader on the VOC2007 sample.

    Args:
        name (str): Config file below ``configs/``, e.g.
            ``'simple_cnn/simple-cnn_1xb64-30e_voc07-64px.py'``.
        **overrides: More ``key=value`` settings, merged last.

    Returns:
        Config: The config.
    """
    cfg = Config.fromfile(config_path(name))
    options = {
        'model.backbone.init_cfg': None,
        'train_dataloader.batch_size': 4,
        'train_cfg.max_epochs': 2,
    }
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({
            f'{loader}.dataset.data_root':
            osp.join(VOC07_ROOT, 'VOC2007'),
            f'{loader}.num_workers':
            0,
            f'{loader}.persistent_workers':
            False
        })
    options.update(overrides)
    cfg.merge_from_dict(options)
    return cfg
