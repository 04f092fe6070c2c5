# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA's configs set up for small test runs on the shipped VOC sample."""
import os.path as osp
import textwrap
from pathlib import Path

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


def write_downstream_config(path: Path,
                            base: str,
                            imports: str,
                            data_root: str,
                            interval: int = 1) -> str:
    """Write another project's config on LODAA's 224 recipe: two training
    iterations on a ``VOCdevkit`` whose ``all.txt`` lists the images.

    Args:
        path (Path): The config file to write (its folder is made).
        base (str): The LODAA config it inherits, a path.
        imports (str): The ``custom_imports`` list's items, as Python.
        data_root (str): The ``VOCdevkit`` folder.
        interval (int): Iterations between checkpoints. Defaults to 1.

    Returns:
        str: ``path``.
    """
    loader = ('num_workers=0, persistent_workers=False, dataset=dict('
              f"data_root={data_root + '/'!r}, "
              "ann_file='VOC2007/ImageSets/Main/all.txt')")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        textwrap.dedent(f'''
        _base_ = {base!r}
        custom_imports = dict(imports=[{imports}],
                              allow_failed_imports=False)
        model = dict(backbone=dict(init_cfg=None))
        train_cfg = dict(max_iters=2, val_interval=2)
        default_hooks = dict(checkpoint=dict(interval={interval}))
        train_dataloader = dict(batch_size=2, {loader})
        val_dataloader = dict({loader})
        test_dataloader = val_dataloader
        '''))
    return str(path)
