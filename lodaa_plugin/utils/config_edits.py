# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Config edits behind the launchers' options: ``--amp``, ``--ema``,
``--tta``, ``--vis-backend`` and a training length.

Each edit is what a user would otherwise write in a config, so the option and
the config line give the same run (the README shows both).
"""
import copy
import os
from typing import List, Optional, Sequence

from mmengine.config import Config, ConfigDict

# mmdet's YOLOX/RTMDet setting: the momentum starts near 1 (the average
# follows the weights) and decays to 2e-4 over a few thousand iterations, so
# short schedules are not averaged with their random start.
EMA_HOOK = dict(
    type='EMAHook',
    ema_type='mmdet.ExpMomentumEMA',
    momentum=0.0002,
    update_buffers=True,
    priority=49)

VIS_BACKENDS = {
    'local': dict(type='LocalVisBackend'),
    'tensorboard': dict(type='TensorboardVisBackend'),
    # offline unless WANDB_MODE says otherwise: no account, no network;
    # `wandb sync WORK_DIR/.../wandb/offline-run-*` uploads later.
    'wandb': dict(type='WandbVisBackend', init_kwargs=dict(project='lodaa')),
}

# the extra each backend needs, for the error message
_BACKEND_MODULES = {'tensorboard': 'tensorboard', 'wandb': 'wandb'}


def enable_amp(cfg: Config, dtype: Optional[str] = None) -> Config:
    """Train with mixed precision: mmengine's ``AmpOptimWrapper``, or on
    the CPU its bf16 variant
    :class:`~lodaa_plugin.compat.amp.CPUAmpOptimWrapper`.

    Args:
        cfg (Config): The config, changed in place.
        dtype (str, optional): ``'float16'`` (dynamic loss scaling) or
            ``'bfloat16'``. Defaults to None: float16 with a GPU, bfloat16
            on the CPU.

    Returns:
        Config: ``cfg``.
    """
    from mmengine.device import get_device
    on_cpu = get_device() in ('cpu', 'mps')
    if dtype is None:
        dtype = 'bfloat16' if on_cpu else 'float16'
    cfg.optim_wrapper.type = 'CPUAmpOptimWrapper' if on_cpu \
        else 'AmpOptimWrapper'
    cfg.optim_wrapper.dtype = dtype
    if dtype == 'float16':
        cfg.optim_wrapper.loss_scale = 'dynamic'
    return cfg


def enable_ema(cfg: Config) -> Config:
    """Keep an exponential moving average of the weights (mmengine's
    ``EMAHook``), as ``custom_hooks`` would with :data:`EMA_HOOK`.

    Validation and the saved ``state_dict`` use the averaged weights; the raw
    ones are kept in the checkpoint's ``ema_state_dict`` for ``--resume``.

    Args:
        cfg (Config): The config, changed in place.

    Returns:
        Config: ``cfg``.
    """
    hooks = cfg.setdefault('custom_hooks', [])
    if not any(h.get('type') == 'EMAHook' for h in hooks):
        hooks.append(ConfigDict(EMA_HOOK))
    return cfg


def add_vis_backends(cfg: Config, names: Sequence[str]) -> Config:
    """Log scalars (and drawn images) to more backends than local files.

    Args:
        cfg (Config): The config, changed in place.
        names (Sequence[str]): Keys of :data:`VIS_BACKENDS`.

    Returns:
        Config: ``cfg``.

    Raises:
        ImportError: When a backend's package is missing, naming the extra
            that installs it.
    """
    import importlib.util
    backends = cfg.visualizer.setdefault('vis_backends', [])
    present = {b['type'] for b in backends}
    for name in names:
        module = _BACKEND_MODULES.get(name)
        if module and importlib.util.find_spec(module) is None:
            raise ImportError(
                f'--vis-backend {name} needs the {module!r} package: '
                "pip install -e '.[vis]' (or make env) installs it.")
        backend = copy.deepcopy(VIS_BACKENDS[name])
        if name == 'wandb':
            backend['init_kwargs']['mode'] = os.environ.get(
                'WANDB_MODE', 'offline')
        if backend['type'] not in present:
            backends.append(ConfigDict(backend))
            present.add(backend['type'])
    return cfg


def flip_tta_pipeline(test_pipeline: List[dict],
                      is_detector: bool = True) -> List[dict]:
    """Turn a test pipeline into one that yields each image twice: as it is
    and flipped horizontally.

    The unflipped view comes first: the merged prediction keeps its
    ``gt_instances`` for the metric (a flipped view's boxes are flipped).

    Args:
        test_pipeline (list[dict]): Ends with the packing transform.
        is_detector (bool): mmdet's ``PackDetInputs`` (with the flip in its
            meta keys) rather than mmpretrain's ``PackInputs``. Defaults to
            True.

    Returns:
        list[dict]: The TTA pipeline.
    """
    pipeline = copy.deepcopy(list(test_pipeline))
    pack = dict(pipeline.pop())
    if is_detector:
        keys = tuple(
            pack.get('meta_keys', ('img_id', 'img_path', 'ori_shape',
                                   'img_shape', 'scale_factor')))
        pack['meta_keys'] = keys + tuple(
            k for k in ('flip', 'flip_direction') if k not in keys)
    flips = [
        dict(type='RandomFlip', prob=0.),
        dict(type='RandomFlip', prob=1., direction='horizontal')
    ]
    pipeline.append(dict(type='TestTimeAug', transforms=[flips, [pack]]))
    return pipeline


def _test_dataset(cfg: Config) -> ConfigDict:
    """The test dataset's config inside any wrappers (RepeatDataset, ...)."""
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return dataset


def enable_flip_tta(cfg: Config) -> Config:
    """Wrap the model in its TTA model and the test data in the flip
    pipeline, as mmdet's ``test.py --tta`` does.

    The config's own ``tta_model`` and ``tta_pipeline`` are used when it has
    them; otherwise detectors merge boxes with mmdet's ``DetTTAModel``
    (boxes flipped back, then class-wise NMS at IoU 0.5, 100 per image) and
    classifiers average the scores (mmpretrain's ``AverageClsScoreTTA``).

    Args:
        cfg (Config): The config, changed in place.

    Returns:
        Config: ``cfg``.
    """
    is_detector = cfg.get('default_scope', 'mmdet') == 'mmdet'
    if 'tta_model' not in cfg:
        cfg.tta_model = dict(
            type='DetTTAModel',
            tta_cfg=dict(
                nms=dict(type='nms', iou_threshold=0.5),
                max_per_img=100)) if is_detector else dict(
                    type='AverageClsScoreTTA')
    dataset = _test_dataset(cfg)
    if 'tta_pipeline' not in cfg:
        cfg.tta_pipeline = flip_tta_pipeline(dataset.pipeline, is_detector)
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    dataset.pipeline = cfg.tta_pipeline
    return cfg


def enable_slicing(cfg: Config,
                   size: int,
                   overlap: float,
                   whole_image: bool = False,
                   merge: str = 'nms',
                   merge_metric: str = 'iou') -> Config:
    """Wrap the model in ``SlicedDetector``: each test image detected tile
    by tile from its file, through the test pipeline, boxes merged across
    tiles.

    Args:
        cfg (Config): A detector's config, changed in place.
        size (int): Tile side in pixels.
        overlap (float): Overlap ratio of neighbouring tiles.
        whole_image (bool): Also detect on the whole image. Defaults to
            False.
        merge (str): ``'nms'`` or ``'nmm'``. Defaults to ``'nms'``.
        merge_metric (str): ``'iou'`` or ``'ios'``. Defaults to ``'iou'``.

    Returns:
        Config: ``cfg``.
    """
    dataset = _test_dataset(cfg)
    cfg.model = ConfigDict(
        type='SlicedDetector',
        detector=cfg.model,
        slice_size=size,
        overlap=overlap,
        whole_image=whole_image,
        merge=merge,
        merge_metric=merge_metric,
        test_pipeline=dataset.pipeline,
        data_preprocessor=cfg.model.get('data_preprocessor'))
    return cfg


def set_max_iters(cfg: Config, iters: int) -> Config:
    """Shorten or lengthen an iteration-based schedule: the learning-rate
    steps keep their place relative to the end, validation and the
    checkpoint come at the end.

    Args:
        cfg (Config): A config with ``train_cfg.max_iters``; changed in
            place.
        iters (int): The new length.

    Returns:
        Config: ``cfg``.
    """
    old = cfg.train_cfg.max_iters
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = iters
    cfg.default_hooks.checkpoint.interval = iters
    for scheduler in cfg.get('param_scheduler', []):
        if scheduler.get('end', 0) >= old:
            scheduler['end'] = iters
        if 'milestones' in scheduler:
            scheduler['milestones'] = [
                int(m * iters / old) for m in scheduler['milestones']
            ]
        elif scheduler.get('end', 0) > iters:  # a warm-up past the end
            scheduler['end'] = iters
    return cfg
