# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Detections from an exported LODAA FCOS on ONNX Runtime or OpenVINO; no
torch, mmcv or mmdet.

The end-to-end graph does normalisation, the network and the head's
test-time rules itself: the runtime only decodes, resizes and pads. The
network-only graph's maps are post-processed by the head's own PyTorch
function (:func:`~.end_to_end.detections_from_maps`), imported for that
graph only: it needs the training environment.
"""
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterator, List, Optional, Sequence, Union

import numpy as np

from ..padded_detections import split_detections
from .deploy_config import DeployConfigError, load_deploy_config
from .preprocess import graph_inputs
from .runtime import PRECISIONS, open_session

BACKENDS = ('onnxruntime', 'openvino')
GRAPHS = ('end2end', 'network')
Image = Union[str, os.PathLike, np.ndarray]


def _model_file(cfg: Dict, export_dir: str, backend: str, graph: str,
                precision: str) -> str:
    """The file that runs ``graph`` on ``backend`` at ``precision``."""
    files = cfg['end2end'] if graph == 'end2end' else cfg['models']
    if precision == 'int8':
        if backend != 'openvino' or graph != 'end2end':
            raise ValueError('INT8 runs the end-to-end graph on OpenVINO '
                             f'only, not the {graph} graph on {backend}')
        if 'openvino_int8' not in files:
            raise DeployConfigError(
                f'{export_dir}: no INT8 model; export with --int8')
        return osp.join(export_dir, files['openvino_int8'])
    if backend == 'openvino':
        # OpenVINO reads its own IR when exported, else the ONNX file
        return osp.join(export_dir, files.get('openvino', files['onnx']))
    return osp.join(export_dir, files['onnx'])


class DeployedDetector:
    """An exported detector, ready to predict.

    Args:
        export_dir (str): The folder ``tools/deployment/export.py`` wrote.
        backend (str): ``'onnxruntime'`` or ``'openvino'``. Defaults to
            ``'onnxruntime'``.
        precision (str): ``'fp32'``, ``'default'`` for OpenVINO's own
            choice (bf16 on CPUs with native bf16) or ``'int8'`` (OpenVINO,
            an export made with ``--int8``). Defaults to ``'fp32'``.
        graph (str, optional): ``'end2end'`` (pixels to detections in one
            graph) or ``'network'`` (the network, post-processed in
            PyTorch: needs the training environment). Defaults to
            ``'end2end'``.
        threads (int, optional): Backend threads; its default when None.
        decode_threads (int): Threads decoding image files. Defaults to 2.
        hint (str): OpenVINO's performance hint, ``'LATENCY'`` or
            ``'THROUGHPUT'`` (for :meth:`predict_many`). Defaults to
            ``'LATENCY'``. What each graph, precision and hint gives:
            docs/benchmarks.md (Deployment).

    Raises:
        DeployConfigError: When the folder is not a usable export.
    """

    def __init__(self,
                 export_dir: str,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32',
                 graph: str = 'end2end',
                 threads: Optional[int] = None,
                 decode_threads: int = 2,
                 hint: str = 'LATENCY') -> None:
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got '
                             f'{backend!r}')
        if precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {PRECISIONS}, got '
                             f'{precision!r}')
        if graph not in GRAPHS:
            raise ValueError(f'graph must be one of {GRAPHS}, got {graph!r}')
        self.cfg = load_deploy_config(export_dir)
        self.classes = list(self.cfg['classes'])
        self.export_dir = export_dir
        self.graph = graph
        self.backend = backend
        self.decode_threads = decode_threads
        self.hint = hint
        self.session = open_session(
            _model_file(self.cfg, export_dir, backend, graph, precision),
            backend, precision, threads, hint)

    def prepare(self, images: Sequence[Image]) -> tuple:
        """Decode, resize and pad images into the graph's inputs.

        Args:
            images (Sequence[str | os.PathLike | np.ndarray]): Files or
                BGR uint8 arrays.

        Returns:
            tuple: The inputs (a dict by input name) and per-image metas.
        """
        inputs, metas = graph_inputs(
            list(images), self.cfg['preprocess'], self.decode_threads)
        if self.graph == 'network':  # it takes the first two only
            del inputs['scale_factors']
        return inputs, metas

    def _network_detections(self, outputs: List[np.ndarray],
                            metas: List[Dict]) -> List[np.ndarray]:
        """The network-only graph's maps through the head's test-time
        rules, in PyTorch."""
        levels = len(self.cfg['strides'])
        if len(outputs) != 3 * levels:
            raise DeployConfigError(
                f'{self.export_dir}: the network has {len(outputs)} outputs, '
                f'deploy.json {levels} levels (3 outputs each)')
        if outputs[0].shape[1] != len(self.classes):
            raise DeployConfigError(
                f'{self.export_dir}: the network scores '
                f'{outputs[0].shape[1]} classes, deploy.json lists '
                f'{len(self.classes)}: the folder mixes two exports; export '
                'again')
        import torch

        from ..models.dense_heads.fcos_postprocess import FCOSTestRules
        from .end_to_end import detections_from_maps
        with torch.no_grad():
            found = detections_from_maps(
                [torch.from_numpy(np.asarray(m)) for m in outputs],
                torch.tensor([m['img_shape'] for m in metas],
                             dtype=torch.float32),
                torch.tensor([m['scale_factor'] for m in metas],
                             dtype=torch.float32),
                FCOSTestRules.from_deploy_dict(self.cfg))
        return [t.numpy() for t in found]

    def postprocess(self, outputs: List[np.ndarray],
                    metas: List[Dict]) -> List[Dict[str, np.ndarray]]:
        """Detections per image from the graph's outputs.

        Args:
            outputs (list[np.ndarray]): The graph's outputs.
            metas (list[dict]): From the pre-processing.

        Returns:
            list[dict]: Per image ``bboxes``, ``scores``, ``labels``.
        """
        if self.graph == 'network':
            outputs = self._network_detections(outputs, metas)
        num, boxes, scores, labels = outputs
        if labels.size and int(labels.max()) >= len(self.classes):
            raise DeployConfigError(
                f'{self.export_dir}: the graph predicts class '
                f'{int(labels.max())}, deploy.json lists {len(self.classes)} '
                'classes: the folder mixes two exports; export again')
        return [
            dict(
                bboxes=r['bboxes'].astype(np.float32),
                scores=r['scores'].astype(np.float32),
                labels=r['labels'].astype(np.int64))
            for r in split_detections(np.asarray(num), boxes, scores, labels)
        ]

    def __call__(self, images: Sequence[Image]) -> List[Dict[str, np.ndarray]]:
        """Detect objects in images, as one batch.

        Args:
            images (Sequence[str | os.PathLike | np.ndarray]): Files or
                BGR uint8 arrays.

        Returns:
            list[dict]: Per image ``bboxes`` (N, 4) x1, y1, x2, y2 in the
            image's pixels, ``scores`` and ``labels``, best first.
        """
        if isinstance(images,
                      (str, os.PathLike)) or (isinstance(images, np.ndarray)
                                              and images.ndim != 4):
            raise TypeError(
                'DeployedDetector takes a list of images; wrap one image in '
                f'a list: detector([{images!r:.60}])')
        if not len(images):
            return []  # as the eager predict_images
        inputs, metas = self.prepare(images)
        return self.postprocess(self.session(inputs), metas)

    def predict_many(
            self,
            images: Sequence[Image],
            batch_size: int = 8) -> Iterator[List[Dict[str, np.ndarray]]]:
        """Detect objects in many images, batch by batch: the next batch is
        decoded while the current one runs (and, on OpenVINO with the
        ``'THROUGHPUT'`` hint, batches run on its asynchronous queue).

        Args:
            images (Sequence[str | os.PathLike | np.ndarray]): Files or
                BGR uint8 arrays.
            batch_size (int): Images per batch. Defaults to 8.

        Yields:
            list[dict]: The detections of each batch, in order.
        """
        chunks = [
            images[i:i + batch_size] for i in range(0, len(images), batch_size)
        ]
        if not chunks:
            return
        with ThreadPoolExecutor(1) as pool:
            if self.hint == 'THROUGHPUT' and hasattr(self.session, 'run_many'):
                prepared = list(pool.map(self.prepare, chunks))
                outputs = self.session.run_many(p[0] for p in prepared)
                for (_, metas), output in zip(prepared, outputs):
                    yield self.postprocess(output, metas)
                return
            pending = pool.submit(self.prepare, chunks[0])
            for index in range(len(chunks)):
                inputs, metas = pending.result()
                if index + 1 < len(chunks):
                    pending = pool.submit(self.prepare, chunks[index + 1])
                yield self.postprocess(self.session(inputs), metas)
