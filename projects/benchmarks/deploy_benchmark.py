# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""End-to-end detection speed on the CPU: image file to detections, for
torchvision's FCOS in eager PyTorch, LODAA's FCOS in eager fp32 and bf16,
and LODAA's export on ONNX Runtime and OpenVINO
(``tools/analysis/benchmark_deploy.py``)."""
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config

from lodaa_plugin.apis import predict_images
from lodaa_plugin.deployment import DeployedDetector
from lodaa_plugin.deployment.preprocess import read_image
from .torchvision_fcos import build_torchvision_fcos, share_weights

PATHS = ('torchvision eager fp32', 'LODAA eager fp32', 'LODAA eager bf16',
         'ONNX Runtime fp32, network + PyTorch',
         'ONNX Runtime fp32, end-to-end',
         'OpenVINO default, network + PyTorch', 'OpenVINO fp32, end-to-end',
         'OpenVINO default, end-to-end', 'OpenVINO INT8, end-to-end')


def torchvision_twin(cfg: Config, lodaa: nn.Module, size: int) -> nn.Module:
    """torchvision's FCOS of the same size with LODAA's weights.

    A trained LODAA head has one box scale per level, the twin one for all:
    it gets their mean, so its classification and centerness (what decides
    how many candidates the post-processing sees) are LODAA's exactly and
    its boxes approximately.

    Args:
        cfg (Config): The LODAA config.
        lodaa (nn.Module): LODAA's detector with its weights.
        size (int): The twin's (square) input side.

    Returns:
        nn.Module: The twin, in eval mode.
    """
    import copy
    twin = build_torchvision_fcos(cfg, size)
    donor = copy.deepcopy(lodaa)
    mean = torch.stack([s.scale.detach()
                        for s in donor.bbox_head.scales]).mean()
    for scale in donor.bbox_head.scales:
        scale.scale.data.fill_(mean)
    share_weights(donor, twin)
    return twin.eval()


def path_runners(cfg: Config, lodaa: nn.Module, export_dir: str,
                 size: int) -> Dict[str, Callable[[List[str]], list]]:
    """One callable per path: image files in, detections out.

    Args:
        cfg (Config): The LODAA config.
        lodaa (nn.Module): LODAA's detector (``cfg`` and ``dataset_meta``
            set), in eval mode.
        export_dir (str): Its export folder (ONNX and OpenVINO).
        size (int): Input side of the twin's transform.

    Returns:
        dict: :data:`PATHS` to callables.
    """
    twin = torchvision_twin(cfg, lodaa, size)

    def torchvision_eager(files: List[str]) -> list:
        images = [
            torch.from_numpy(read_image(f)[..., ::-1].copy()).permute(
                2, 0, 1).float() / 255 for f in files
        ]
        with torch.no_grad():
            return twin(images)

    def lodaa_eager(files: List[str]) -> list:
        return predict_images(lodaa, files, batch_size=len(files))

    def lodaa_bf16(files: List[str]) -> list:
        with torch.autocast('cpu', dtype=torch.bfloat16):
            return predict_images(lodaa, files, batch_size=len(files))

    def deployed(backend, precision, graph):
        return DeployedDetector(export_dir, backend, precision, graph)

    runners = {
        'torchvision eager fp32':
        torchvision_eager,
        'LODAA eager fp32':
        lodaa_eager,
        'LODAA eager bf16':
        lodaa_bf16,
        'ONNX Runtime fp32, network + PyTorch':
        deployed('onnxruntime', 'fp32', 'network'),
        'ONNX Runtime fp32, end-to-end':
        deployed('onnxruntime', 'fp32', 'end2end'),
        'OpenVINO default, network + PyTorch':
        deployed('openvino', 'default', 'network'),
        'OpenVINO fp32, end-to-end':
        deployed('openvino', 'fp32', 'end2end'),
        'OpenVINO default, end-to-end':
        deployed('openvino', 'default', 'end2end'),
    }
    if 'openvino_int8' in DeployedDetector(export_dir).cfg['end2end']:
        runners['OpenVINO INT8, end-to-end'] = deployed(
            'openvino', 'int8', 'end2end')
    return runners


def time_split(detector: DeployedDetector, files: List[str], steps: int,
               timed: Callable) -> Dict[str, float]:
    """Where one batch's time goes on a deployed path: decoding, resizing
    and padding, the graph (for the network-only model: normalisation and
    network, then the post-processing apart).

    Args:
        detector (DeployedDetector): The path.
        files (list[str]): One batch of image files.
        steps (int): Repeats; the median is kept.
        timed (Callable): Times a call (``projects.benchmarks.timing``).

    Returns:
        dict[str, float]: Milliseconds per image of each part.
    """
    import statistics

    from lodaa_plugin.deployment.preprocess import preprocess, read_images
    cfg = detector.cfg['preprocess']
    parts = {}

    def median_ms(fn):
        return statistics.median(timed(fn) for _ in range(steps)) * 1000 / \
            len(files)

    images = read_images(files, detector.decode_threads)
    parts['decode'] = median_ms(
        lambda: read_images(files, detector.decode_threads))
    parts['resize + pad'] = median_ms(lambda: preprocess(images, cfg))
    inputs, metas = detector.prepare(images)
    outputs = detector.session(inputs)
    parts['graph'] = median_ms(lambda: detector.session(inputs))
    parts['post-processing'] = median_ms(
        lambda: detector.postprocess(outputs, metas))
    return parts


def detections_per_image(result: object) -> int:
    """Count one image's detections from any path's output."""
    if isinstance(result, dict):
        return len(result.get('bboxes', result.get('boxes', [])))
    return len(result.pred_instances)


def speed_table(times: Dict[str, List[float]],
                batch: int,
                reference: str = PATHS[0]) -> List[Dict]:
    """Images per second and paired ratios against ``reference``.

    Args:
        times (dict): Path to seconds per step (paired steps).
        batch (int): Images per step.
        reference (str): The path the ratios divide. Defaults to
            torchvision eager fp32.

    Returns:
        list[dict]: Per path ``path``, ``images_per_s`` (median step),
        ``ms_per_batch`` and ``ratio`` (median, q1, q3 of paired ratios).
    """
    from .timing import ratio_summary
    rows = []
    for name, seconds in times.items():
        median = float(np.median(seconds))
        rows.append(
            dict(
                path=name,
                images_per_s=batch / median,
                ms_per_batch=median * 1000,
                ratio=ratio_summary(times[reference], seconds)))
    return rows


def markdown(rows: Sequence[Dict],
             batch: int,
             note: Optional[str] = None) -> str:
    """Render :func:`speed_table` as Markdown.

    Args:
        rows (Sequence[dict]): The table.
        batch (int): Images per step.
        note (str, optional): A line above the table.

    Returns:
        str: The table.
    """
    lines = [note, ''] if note else []
    lines += [
        f'| path (batch {batch}) | images/s | ms per batch | '
        'vs torchvision eager fp32 (median, q1–q3) |',
        '| --- | --- | --- | --- |'
    ]
    for row in rows:
        r = row['ratio']
        lines.append(f'| {row["path"]} | {row["images_per_s"]:.1f} | '
                     f'{row["ms_per_batch"]:.1f} | {r["median"]:.2f}x '
                     f'({r["q1"]:.2f}–{r["q3"]:.2f}) |')
    return '\n'.join(lines)


def split_markdown(splits: Dict[str, Dict[str, float]], batch: int) -> str:
    """A table of :func:`time_split` for every deployed path.

    Args:
        splits (dict): Path to its parts.
        batch (int): Images per batch.

    Returns:
        str: Markdown.
    """
    parts = []
    for split in splits.values():
        parts += [p for p in split if p not in parts]
    lines = [
        f'| where the time goes, batch {batch}, ms per image | ' +
        ' | '.join(parts) + ' |', '| --- ' * (len(parts) + 1) + '|'
    ]
    for name, split in splits.items():
        lines.append(f'| {name} | ' +
                     ' | '.join(f'{split[p]:.2f}' if p in split else '–'
                                for p in parts) + ' |')
    return '\n'.join(lines)
