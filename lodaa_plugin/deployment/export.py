# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Export a trained LODAA FCOS: the end-to-end graph (pixels to detections)
and the network alone (pixels to the head's maps), both of
:mod:`.end_to_end`, to ONNX (and OpenVINO's IR), what the runtime needs to
``deploy.json``, and a check of the exported outputs against PyTorch on real
images.

Every rule comes from the built model: the head's test-time rules
(:class:`~lodaa_plugin.models.dense_heads.fcos_postprocess.FCOSTestRules`)
and the data preprocessor's normalisation and padding; the config supplies
only the test resize.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config

from ..image_bytes import DEFAULT_MAX_PIXELS
from ..models.dense_heads.fcos_postprocess import FCOSTestRules
from ..utils.atomic_write import atomic_write_bytes
from .deploy_config import DEPLOY_FILE, FORMAT_VERSION
from .end_to_end import EndToEndFCOS, ExportableFCOS, export_end_to_end_onnx
from .preprocess import padded_size


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


def export_rules(model: nn.Module) -> FCOSTestRules:
    """The head's test-time rules, or an error that says why the export
    cannot reproduce them.

    Args:
        model (nn.Module): The built detector.

    Returns:
        FCOSTestRules: The rules.

    Raises:
        ValueError: For a test_cfg no exported graph does exactly
            (soft-NMS, ``offset=1``, class-agnostic, ...).
    """
    try:
        return FCOSTestRules.from_head(model.bbox_head)
    except ValueError as error:
        raise ValueError(
            f'cannot export: {error}. Use a plain NMS in the config\'s '
            "test_cfg (nms=dict(type='nms', iou_threshold=...)) to export, "
            'or evaluate this config in PyTorch') from None


def preprocess_settings(cfg: Config, model: nn.Module) -> Dict:
    """The test resize (from the config) and the normalisation and padding
    (from the built data preprocessor).

    Args:
        cfg (Config): The detector's config.
        model (nn.Module): The built detector.

    Returns:
        dict: ``deploy.json``'s ``preprocess``.
    """
    pre = model.data_preprocessor
    if not getattr(pre, '_enable_normalize', True):
        mean, std = [0.0] * 3, [1.0] * 3
    else:
        mean = [float(v) for v in pre.mean.flatten()]
        std = [float(v) for v in pre.std.flatten()]
    if float(getattr(pre, 'pad_value', 0)) != 0:
        raise ValueError(f'the data preprocessor pads with {pre.pad_value}; '
                         'the export pads with 0 after normalising')
    loader = cfg.test_dataloader.dataset.pipeline[0]
    return dict(
        resize=_test_resize(cfg),
        max_pixels=int(loader.get('max_pixels', DEFAULT_MAX_PIXELS)),
        mean=mean,
        std=std,
        bgr_to_rgb=bool(getattr(pre, '_channel_conversion', False)),
        pad_size_divisor=int(getattr(pre, 'pad_size_divisor', 1)))


def build_graphs(model: nn.Module,
                 pre: Dict) -> Tuple[ExportableFCOS, EndToEndFCOS]:
    """The two graphs the export writes, around the built detector.

    Args:
        model (nn.Module): The detector, in eval mode.
        pre (dict): :func:`preprocess_settings`.

    Returns:
        tuple: The network-only graph and the end-to-end graph.
    """
    network = ExportableFCOS(model, pre['mean'], pre['std'],
                             pre['bgr_to_rgb']).eval()
    return network, EndToEndFCOS(network, export_rules(model)).eval()


def deploy_settings(cfg: Config, model: nn.Module, classes: Sequence[str],
                    models: Dict, end2end: Dict,
                    input_shape: Optional[Tuple[int, int]],
                    checkpoint: Optional[str]) -> Dict:
    """Collect ``deploy.json``'s content from the built model.

    Args:
        cfg (Config): The detector's config (its test resize).
        model (nn.Module): The built detector.
        classes (Sequence[str]): Class names in label order.
        models (dict): Backend name to the network-only file.
        end2end (dict): Backend name to the end-to-end file.
        input_shape (tuple, optional): (H, W) of a fixed-size export.
        checkpoint (str, optional): The weights' file (its SHA-256 is
            recorded); None for random weights.

    Returns:
        dict: The settings.
    """
    digest = 'random weights'
    if checkpoint is not None:
        with open(checkpoint, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    return dict(
        format_version=FORMAT_VERSION,
        classes=list(classes),
        preprocess=preprocess_settings(cfg, model),
        **export_rules(model).to_deploy_dict(),
        models=models,
        end2end=end2end,
        input='dynamic' if input_shape is None else list(input_shape),
        checkpoint_sha256=digest)


def export_onnx(network: nn.Module, example: Sequence[torch.Tensor], path: str,
                levels: int, dynamic_size: bool) -> List[str]:
    """Write the network-only graph as ONNX with a dynamic batch (and size).

    Args:
        network (nn.Module): :class:`~.end_to_end.ExportableFCOS`.
        example (Sequence[Tensor]): Example ``images`` and ``img_shapes``.
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
    dynamic = dict(images=axes, img_shapes={0: 'batch'})
    for name in names:
        dynamic[name] = {0: 'batch'}
        if dynamic_size:
            dynamic[name].update({2: f'{name}_h', 3: f'{name}_w'})
    torch.onnx.export(
        network,
        tuple(example),
        path,
        input_names=['images', 'img_shapes'],
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
        network (nn.Module): :class:`~.end_to_end.ExportableFCOS`.
        export_dir (str): The export folder (``deploy.json`` written).
        images (list[str]): Image files.
        backends (Sequence[str]): ``'onnxruntime'`` and/or ``'openvino'``.

    Returns:
        dict[str, float]: Backend to its largest difference.
    """
    from .predictor import DeployedDetector
    worst = {}
    for backend in backends:
        detector = DeployedDetector(
            export_dir, backend, precision='fp32', graph='network')
        inputs, _ = detector.prepare(images)
        with torch.no_grad():
            expected = network(*(torch.from_numpy(inputs[name])
                                 for name in ('images', 'img_shapes')))
        got = detector.session(inputs)
        worst[backend] = max(
            float(np.abs(g - e.numpy()).max()) for g, e in zip(got, expected))
    return worst


def compare_end_to_end(graph: nn.Module, export_dir: str, images: List[str],
                       backends: Sequence[str]) -> Dict[str, Dict]:
    """Run the end-to-end graph in PyTorch and on each backend on the same
    images; compare their detections.

    Args:
        graph (nn.Module): :class:`~.end_to_end.EndToEndFCOS`.
        export_dir (str): The export folder (``deploy.json`` written).
        images (list[str]): Image files.
        backends (Sequence[str]): ``'onnxruntime'`` and/or ``'openvino'``.

    Returns:
        dict: Per backend ``same_labels`` (every image's detections have
        the same count and labels), ``box_diff`` (px) and ``score_diff``.
    """
    from .predictor import DeployedDetector
    report = {}
    for backend in backends:
        detector = DeployedDetector(
            export_dir, backend, precision='fp32', graph='end2end')
        inputs, metas = detector.prepare(images)
        with torch.no_grad():
            expected = graph(*[torch.from_numpy(inputs[n]) for n in inputs])
        expected = detector.postprocess([t.numpy() for t in expected], metas)
        got = detector.postprocess(detector.session(inputs), metas)
        same = all(
            len(e['labels']) == len(g['labels']) and (
                e['labels'] == g['labels']).all()
            for e, g in zip(expected, got))
        pairs = [(e, g) for e, g in zip(expected, got)
                 if same and len(e['labels'])]
        report[backend] = dict(
            same_labels=same,
            box_diff=max([
                float(np.abs(e['bboxes'] - g['bboxes']).max())
                for e, g in pairs
            ] or [0.0]),
            score_diff=max([
                float(np.abs(e['scores'] - g['scores']).max())
                for e, g in pairs
            ] or [0.0]))
    return report


class ExportFolderError(ValueError):
    """An export folder that holds another export; the message names it
    and its files."""


def earlier_export_files(out_dir: str) -> List[str]:
    """The files of an earlier export in a folder: ``deploy.json``, the
    graphs it names (an OpenVINO ``.xml`` with its ``.bin``) and the names
    every export writes.

    Args:
        out_dir (str): A folder.

    Returns:
        list[str]: Their names, sorted; other files are not listed.
    """
    from .quantize import INT8_FILE
    if not osp.isdir(out_dir):
        return []
    names = {DEPLOY_FILE, 'model.onnx', 'end2end.onnx', INT8_FILE}
    try:
        with open(osp.join(out_dir, DEPLOY_FILE), encoding='utf-8-sig') as f:
            old = json.load(f)
        for key in ('models', 'end2end'):
            names.update(
                v for v in old.get(key, {}).values() if isinstance(v, str))
    except (OSError, ValueError, AttributeError):
        pass  # none, or unreadable: the fixed names only
    names.update(
        osp.splitext(n)[0] + ext for n in list(names)
        for ext in ('.xml', '.bin') if n.endswith(('.onnx', '.xml')))
    return sorted(
        n for n in names
        if osp.basename(n) == n and osp.isfile(osp.join(out_dir, n)))


def clear_earlier_export(out_dir: str, overwrite: bool = False) -> List[str]:
    """Refuse a folder holding another export, or remove that export's
    files (and only those) with ``overwrite``: files of two exports side by
    side would be run together.

    Args:
        out_dir (str): The export folder.
        overwrite (bool): Remove the earlier export's files. Defaults to
            False.

    Returns:
        list[str]: The names removed.

    Raises:
        ExportFolderError: Naming the folder and the files, without
            ``overwrite``.
    """
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise ExportFolderError(f'{out_dir}: is a file, not an export folder')
    found = earlier_export_files(out_dir)
    if found and not overwrite:
        raise ExportFolderError(
            f'{out_dir} holds another export ({", ".join(found)}); name '
            'another folder, or pass --overwrite to remove those files first')
    for name in found:
        os.remove(osp.join(out_dir, name))
    return found


def export_detector(cfg: Config,
                    model: nn.Module,
                    classes: Sequence[str],
                    checkpoint: Optional[str],
                    out_dir: str,
                    backends: Sequence[str] = ('onnx', ),
                    dynamic_size: Optional[bool] = None) -> Dict:
    """Export a loaded detector to ``out_dir``: the end-to-end graph
    (``end2end.onnx`` / ``.xml``) and the network alone (``model.onnx`` /
    ``.xml``).

    Args:
        cfg (Config): Its config.
        model (nn.Module): The detector with the checkpoint's weights.
        classes (Sequence[str]): Class names in label order.
        checkpoint (str, optional): The checkpoint file (recorded by hash);
            None for random weights.
        out_dir (str): Where the models and ``deploy.json`` go.
        backends (Sequence[str]): ``'onnx'`` and/or ``'openvino'`` (which
            converts the ONNX files).
        dynamic_size (bool, optional): Height and width of the network-only
            model dynamic; by default only when the test pipeline keeps the
            aspect ratio. The end-to-end graph is always dynamic.

    Returns:
        dict: ``deploy.json``'s content.

    Raises:
        ValueError: When the model's test-time rules cannot be exported
            (:func:`export_rules`), before anything is written.
        ExportFolderError: ``out_dir`` holds another export (remove it
            with :func:`clear_earlier_export` first), before anything is
            written.
    """
    rules = export_rules(model)
    pre = preprocess_settings(cfg, model)
    clear_earlier_export(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    resize = pre['resize']
    if dynamic_size is None:
        dynamic_size = resize['keep_ratio']
    if resize['keep_ratio']:  # an example: the short side, squared
        w = h = min(resize['scale'])
    else:
        w, h = resize['scale']
    shape = padded_size(h, w, pre['pad_size_divisor'])
    network, graph = build_graphs(model.eval(), pre)
    models = dict(onnx='model.onnx')
    end2end = dict(onnx='end2end.onnx')
    example = (torch.zeros(1, 3, *shape, dtype=torch.uint8),
               torch.tensor([shape], dtype=torch.float32), torch.ones(1, 2))
    export_onnx(network, example[:2], osp.join(out_dir, models['onnx']),
                len(rules.strides), dynamic_size)
    export_end_to_end_onnx(graph, example, osp.join(out_dir, end2end['onnx']))
    if 'openvino' in backends:
        models['openvino'] = 'model.xml'
        end2end['openvino'] = 'end2end.xml'
        for files in (models, end2end):
            export_openvino(
                osp.join(out_dir, files['onnx']),
                osp.join(out_dir, files['openvino']))
    settings = deploy_settings(cfg, model, classes, models, end2end,
                               None if dynamic_size else shape, checkpoint)
    write_deploy_config(out_dir, settings)
    return settings


def write_deploy_config(export_dir: str, settings: Dict) -> None:
    """Write ``deploy.json`` atomically (an interrupted write leaves the
    previous file).

    Args:
        export_dir (str): The export folder.
        settings (dict): Its content.
    """
    atomic_write_bytes(
        json.dumps(settings, indent=1).encode(),
        osp.join(export_dir, DEPLOY_FILE))
