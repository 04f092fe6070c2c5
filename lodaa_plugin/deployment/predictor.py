# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Detections from an exported LODAA FCOS: pre-processing, the network on
ONNX Runtime or OpenVINO, post-processing; no torch, mmcv or mmdet."""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from .deploy_config import DeployConfigError, load_deploy_config
from .postprocess import detections, level_points
from .preprocess import preprocess
from .runtime import open_session

BACKENDS = ('onnxruntime', 'openvino')


class DeployedDetector:
    """An exported detector, ready to predict.

    Args:
        export_dir (str): The folder ``tools/deployment/export.py`` wrote.
        backend (str): ``'onnxruntime'`` or ``'openvino'``. Defaults to
            ``'onnxruntime'``.
        precision (str): ``'fp32'``, or ``'default'`` for OpenVINO's own
            choice (bf16 on CPUs with native bf16). Defaults to ``'fp32'``.
        threads (int, optional): Backend threads; its default when None.

    Raises:
        DeployConfigError: When the folder is not a usable export.
    """

    def __init__(self,
                 export_dir: str,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32',
                 threads: Optional[int] = None) -> None:
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got '
                             f'{backend!r}')
        self.cfg = load_deploy_config(export_dir)
        self.classes = list(self.cfg['classes'])
        self.session = open_session(export_dir, self.cfg['models'], backend,
                                    precision, threads)
        self.backend = backend
        self._points = {}

    def _points_for(self, sizes: Sequence[tuple]) -> List[np.ndarray]:
        key = tuple(sizes)
        if key not in self._points:
            self._points[key] = level_points(sizes, self.cfg['strides'])
        return self._points[key]

    def run_network(self, batch: np.ndarray) -> List[np.ndarray]:
        """Run only the network on a pre-processed batch.

        Args:
            batch (np.ndarray): (N, 3, H, W) float32.

        Returns:
            list[np.ndarray]: Per level class probabilities, then per level
            centerness, then per level distances, each NCHW.
        """
        outputs = self.session(batch)
        levels = len(self.cfg['strides'])
        if len(outputs) != 3 * levels:
            raise DeployConfigError(
                f'the network has {len(outputs)} outputs, deploy.json '
                f'{levels} levels (3 outputs each)')
        return outputs

    def postprocess(self, outputs: List[np.ndarray],
                    metas: List[Dict]) -> List[Dict[str, np.ndarray]]:
        """Detections per image from :meth:`run_network`'s outputs.

        Args:
            outputs (list[np.ndarray]): The network's outputs.
            metas (list[dict]): From the pre-processing.

        Returns:
            list[dict]: Per image ``bboxes``, ``scores``, ``labels``.
        """
        levels = len(self.cfg['strides'])
        cls_maps, ctr_maps, box_maps = (outputs[:levels],
                                        outputs[levels:2 * levels],
                                        outputs[2 * levels:])
        sizes = [m.shape[2:] for m in cls_maps]
        points = np.concatenate(self._points_for(sizes))
        lengths = [h * w for h, w in sizes]

        def flat(maps, i, channels):
            return np.concatenate([m[i].reshape(channels, -1).T
                                   for m in maps]).astype(np.float32)

        results = []
        for i, meta in enumerate(metas):
            results.append(
                detections(
                    flat(cls_maps, i, len(self.classes)),
                    flat(ctr_maps, i, 1)[:, 0], flat(box_maps, i, 4), points,
                    lengths, meta, self.cfg))
        return results

    def __call__(
        self,
        images: Sequence[Union[str,
                               np.ndarray]]) -> List[Dict[str, np.ndarray]]:
        """Detect objects in images.

        Args:
            images (Sequence[str | np.ndarray]): Files or BGR uint8 arrays.

        Returns:
            list[dict]: Per image ``bboxes`` (N, 4) x1, y1, x2, y2 in the
            image's pixels, ``scores`` and ``labels``, best first.
        """
        batch, metas = preprocess(list(images), self.cfg['preprocess'])
        return self.postprocess(self.run_network(batch), metas)
