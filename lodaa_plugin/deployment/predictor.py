# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Detections from an exported LODAA FCOS on ONNX Runtime or OpenVINO; no
torch, mmcv or mmdet.

The end-to-end graph does normalisation, the network and the head's
test-time rules itself: the runtime only decodes, resizes and pads. The
network-only model needs the numpy normalisation and post-processing
(:mod:`.postprocess`) around it.
"""
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterator, List, Optional, Sequence, Union

import numpy as np

from .deploy_config import DeployConfigError, load_deploy_config
from .postprocess import detections, level_points
from .preprocess import end_to_end_inputs, normalise, preprocess
from .runtime import PRECISIONS, open_session

BACKENDS = ('onnxruntime', 'openvino')
GRAPHS = ('end2end', 'network')
Image = Union[str, np.ndarray]


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
            graph) or ``'network'`` (the network, with numpy
            post-processing). Defaults to the end-to-end graph when the
            export has one.
        threads (int, optional): Backend threads; its default when None.
        decode_threads (int): Threads decoding image files. Defaults to 2.
        hint (str): OpenVINO's performance hint, ``'LATENCY'`` or
            ``'THROUGHPUT'`` (for :meth:`predict_many`). Defaults to
            ``'LATENCY'``.

    Raises:
        DeployConfigError: When the folder is not a usable export.
    """

    def __init__(self,
                 export_dir: str,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32',
                 graph: Optional[str] = None,
                 threads: Optional[int] = None,
                 decode_threads: int = 2,
                 hint: str = 'LATENCY') -> None:
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got '
                             f'{backend!r}')
        if precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {PRECISIONS}, got '
                             f'{precision!r}')
        self.cfg = load_deploy_config(export_dir)
        if graph is None:
            graph = 'end2end' if self.cfg['end2end'] else 'network'
        if graph not in GRAPHS:
            raise ValueError(f'graph must be one of {GRAPHS}, got {graph!r}')
        if graph == 'end2end' and not self.cfg['end2end']:
            raise DeployConfigError(
                f'{export_dir}: no end-to-end graph (an export of an older '
                'LODAA); export again, or use graph="network"')
        self.classes = list(self.cfg['classes'])
        self.export_dir = export_dir
        self.graph = graph
        self.backend = backend
        self.decode_threads = decode_threads
        self.hint = hint
        self.session = open_session(
            _model_file(self.cfg, export_dir, backend, graph, precision),
            backend, precision, threads, hint)
        self._points = {}

    def _points_for(self, sizes: Sequence[tuple]) -> List[np.ndarray]:
        key = tuple(sizes)
        if key not in self._points:
            self._points[key] = level_points(sizes, self.cfg['strides'])
        return self._points[key]

    def prepare(self, images: Sequence[Image]) -> tuple:
        """Decode, resize and pad images into the graph's inputs.

        Args:
            images (Sequence[str | np.ndarray]): Files or BGR uint8 arrays.

        Returns:
            tuple: The inputs (a dict by input name) and per-image metas.
        """
        if self.graph == 'end2end':
            return end_to_end_inputs(
                list(images), self.cfg['preprocess'], self.decode_threads)
        pixels, metas = preprocess(
            list(images), self.cfg['preprocess'], self.decode_threads)
        batch = normalise(pixels, metas, self.cfg['preprocess'])
        return {self.session.input_names[0]: batch}, metas

    def run_network(self, batch: np.ndarray) -> List[np.ndarray]:
        """Run only the network-only model on a normalised batch.

        Args:
            batch (np.ndarray): (N, 3, H, W) float32.

        Returns:
            list[np.ndarray]: Per level class probabilities, then per level
            centerness, then per level distances, each NCHW.
        """
        if self.graph != 'network':
            raise ValueError('run_network needs graph="network"')
        outputs = self.session({self.session.input_names[0]: batch})
        self._check_network_outputs(outputs)
        return outputs

    def _check_network_outputs(self, outputs: List[np.ndarray]) -> None:
        """The network-only model's outputs fit deploy.json: three maps a
        level, one channel a class."""
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

    def postprocess(self, outputs: List[np.ndarray],
                    metas: List[Dict]) -> List[Dict[str, np.ndarray]]:
        """Detections per image from the graph's outputs.

        Args:
            outputs (list[np.ndarray]): The end-to-end graph's outputs, or
                the network-only model's (post-processed in numpy).
            metas (list[dict]): From the pre-processing.

        Returns:
            list[dict]: Per image ``bboxes``, ``scores``, ``labels``.
        """
        if self.graph == 'end2end':
            num, boxes, scores, labels = outputs
            if labels.size and int(labels.max()) >= len(self.classes):
                raise DeployConfigError(
                    f'{self.export_dir}: the graph predicts class '
                    f'{int(labels.max())}, deploy.json lists '
                    f'{len(self.classes)} classes: the folder mixes two '
                    'exports; export again')
            return [
                dict(
                    bboxes=boxes[i, :n].astype(np.float32),
                    scores=scores[i, :n].astype(np.float32),
                    labels=labels[i, :n].astype(np.int64))
                for i, n in enumerate(np.asarray(num).reshape(-1).tolist())
            ]
        self._check_network_outputs(outputs)
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

    def __call__(self, images: Sequence[Image]) -> List[Dict[str, np.ndarray]]:
        """Detect objects in images, as one batch.

        Args:
            images (Sequence[str | np.ndarray]): Files or BGR uint8 arrays.

        Returns:
            list[dict]: Per image ``bboxes`` (N, 4) x1, y1, x2, y2 in the
            image's pixels, ``scores`` and ``labels``, best first.
        """
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
            images (Sequence[str | np.ndarray]): Files or BGR uint8 arrays.
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
