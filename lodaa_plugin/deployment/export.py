# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Export a trained LODAA FCOS: the network to ONNX (and OpenVINO's IR), the
rest of what the runtime needs to ``deploy.json``, and a check of the
exported outputs against PyTorch on real images."""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config

from .deploy_config import DEPLOY_FILE, FORMAT_VERSION, load_deploy_config
from .preprocess import preprocess


class ExportableFCOS(nn.Module):
    """The detector's network from a normalised, padded batch to per-level
    maps: class probabilities, centerness probabilities, distances in pixels
    (the head's eval-mode outputs, sigmoid applied).

    Args:
        detector (nn.Module): LODAA's (or mmdet's) FCOS, in eval mode.
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Per level class maps, then centerness maps, then distance maps.

        Args:
            images (Tensor): (N, 3, H, W) normalised, padded.

        Returns:
            tuple[Tensor]: ``3 x levels`` NCHW maps.
        """
        cls, box, ctr = self.detector.bbox_head(
            self.detector.extract_feat(images))
        return (*[c.sigmoid() for c in cls], *[c.sigmoid() for c in ctr], *box)


def _test_resize(cfg: Config) -> Dict:
    pipeline = cfg.test_dataloader.dataset.pipeline
    resizes = [t for t in pipeline if t['type'] == 'Resize']
    if len(resizes) != 1:
        raise ValueError(
            'export needs exactly one Resize in the test pipeline, found '
            f'{len(resizes)}')
    return dict(
        scale=list(resizes[0]['scale']),
        keep_ratio=bool(resizes[0].get('keep_ratio', False)))


def deploy_settings(cfg: Config, classes: Sequence[str], models: Dict,
                    input_shape: Optional[Tuple[int, int]],
                    checkpoint: Optional[str]) -> Dict:
    """Collect ``deploy.json``'s content from a config.

    Args:
        cfg (Config): The detector's config.
        classes (Sequence[str]): Class names in label order.
        models (dict): Backend name to file name.
        input_shape (tuple, optional): (H, W) of a fixed-size export.
        checkpoint (str, optional): The weights' file (its SHA-256 is
            recorded); None for random weights.

    Returns:
        dict: The settings.
    """
    model = cfg.model
    pre = model.data_preprocessor
    head, test_cfg = model.bbox_head, model.test_cfg
    nms = dict(test_cfg.nms)
    if nms.pop('type', 'nms') != 'nms' or nms.get('class_agnostic'):
        raise ValueError(f'the runtime does class-aware NMS only, the config '
                         f'asks for {test_cfg.nms}')
    digest = 'random weights'
    if checkpoint is not None:
        with open(checkpoint, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    return dict(
        format_version=FORMAT_VERSION,
        classes=list(classes),
        preprocess=dict(
            resize=_test_resize(cfg),
            mean=list(pre.mean),
            std=list(pre.std),
            bgr_to_rgb=bool(pre.get('bgr_to_rgb', False)),
            pad_size_divisor=int(pre.get('pad_size_divisor', 1))),
        strides=[int(s) for s in head.strides],
        test_cfg=dict(
            score_thr=float(test_cfg.get('score_thr', 0)),
            nms_pre=int(test_cfg.get('nms_pre', -1)),
            min_bbox_size=float(test_cfg.get('min_bbox_size', -1)),
            nms_iou=float(nms['iou_threshold']),
            max_per_img=int(test_cfg.get('max_per_img', 100))),
        score_fusion=head.get('score_fusion', 'product'),
        models=models,
        input='dynamic' if input_shape is None else list(input_shape),
        checkpoint_sha256=digest)


def export_onnx(network: nn.Module, example: torch.Tensor, path: str,
                levels: int, dynamic_size: bool) -> List[str]:
    """Write the network as ONNX with a dynamic batch (and size).

    Args:
        network (nn.Module): :class:`ExportableFCOS`.
        example (Tensor): An example batch.
        path (str): The ``.onnx`` file.
        levels (int): Head levels.
        dynamic_size (bool): Height and width dynamic too.

    Returns:
        list[str]: The output names.
    """
    names = [
        f'{kind}_{i}' for kind in ('cls', 'ctr', 'box') for i in range(levels)
    ]
    axes = {0: 'batch'}
    if dynamic_size:
        axes.update({2: 'height', 3: 'width'})
    dynamic = dict(images=axes)
    for name in names:
        dynamic[name] = {0: 'batch'}
        if dynamic_size:
            dynamic[name].update({2: f'{name}_h', 3: f'{name}_w'})
    torch.onnx.export(
        network, (example, ),
        path,
        input_names=['images'],
        output_names=names,
        dynamic_axes=dynamic,
        opset_version=17,
        dynamo=False)
    return names


def export_openvino(onnx_path: str, xml_path: str) -> str:
    """Convert the ONNX network to OpenVINO's IR, weights kept in fp32
    (OpenVINO picks the inference precision when it compiles).

    Args:
        onnx_path (str): The ``.onnx`` file.
        xml_path (str): The ``.xml`` to write (``.bin`` beside it).

    Returns:
        str: ``xml_path``.
    """
    import openvino as ov
    ov.save_model(
        ov.convert_model(onnx_path), xml_path, compress_to_fp16=False)
    return xml_path


def compare_outputs(network: nn.Module, export_dir: str, images: List[str],
                    backends: Sequence[str]) -> Dict[str, float]:
    """Run PyTorch and each exported backend on the same pre-processed
    images; report the largest absolute difference of any output.

    Args:
        network (nn.Module): :class:`ExportableFCOS`.
        export_dir (str): The export folder (``deploy.json`` written).
        images (list[str]): Image files.
        backends (Sequence[str]): ``'onnxruntime'`` and/or ``'openvino'``.

    Returns:
        dict[str, float]: Backend to its largest difference.
    """
    from .predictor import DeployedDetector
    settings = load_deploy_config(export_dir)
    batch, _ = preprocess(images, settings['preprocess'])
    with torch.no_grad():
        expected = [t.numpy() for t in network(torch.from_numpy(batch))]
    worst = {}
    for backend in backends:
        detector = DeployedDetector(export_dir, backend, precision='fp32')
        got = detector.run_network(batch)
        worst[backend] = max(
            float(np.abs(g - e).max()) for g, e in zip(got, expected))
    return worst


def export_detector(cfg: Config,
                    model: nn.Module,
                    classes: Sequence[str],
                    checkpoint: Optional[str],
                    out_dir: str,
                    backends: Sequence[str] = ('onnx', ),
                    dynamic_size: Optional[bool] = None) -> Dict:
    """Export a loaded detector to ``out_dir``.

    Args:
        cfg (Config): Its config.
        model (nn.Module): The detector with the checkpoint's weights.
        classes (Sequence[str]): Class names in label order.
        checkpoint (str, optional): The checkpoint file (recorded by hash);
            None for random weights.
        out_dir (str): Where ``model.onnx``, ``model.xml`` and
            ``deploy.json`` go.
        backends (Sequence[str]): ``'onnx'`` and/or ``'openvino'`` (which
            converts the ONNX file).
        dynamic_size (bool, optional): Height and width dynamic; by default
            only when the test pipeline keeps the aspect ratio.

    Returns:
        dict: ``deploy.json``'s content.
    """
    os.makedirs(out_dir, exist_ok=True)
    resize = _test_resize(cfg)
    if dynamic_size is None:
        dynamic_size = resize['keep_ratio']
    divisor = int(cfg.model.data_preprocessor.get('pad_size_divisor', 1))
    if resize['keep_ratio']:
        side = -(-min(resize['scale']) // divisor) * divisor
        shape = (side, side)
    else:
        w, h = resize['scale']
        shape = (-(-h // divisor) * divisor, -(-w // divisor) * divisor)
    network = ExportableFCOS(model.eval()).eval()
    example = torch.zeros(1, 3, *shape)
    levels = len(cfg.model.bbox_head.strides)
    models = dict(onnx='model.onnx')
    export_onnx(network, example, osp.join(out_dir, models['onnx']), levels,
                dynamic_size)
    if 'openvino' in backends:
        models['openvino'] = 'model.xml'
        export_openvino(
            osp.join(out_dir, models['onnx']),
            osp.join(out_dir, models['openvino']))
    settings = deploy_settings(cfg, classes, models,
                               None if dynamic_size else shape, checkpoint)
    with open(osp.join(out_dir, DEPLOY_FILE), 'w') as f:
        json.dump(settings, f, indent=1)
    return settings
