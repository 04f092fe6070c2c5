# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The backends that run an exported graph: ONNX Runtime and OpenVINO."""
import os
from typing import Dict, Iterable, List, Optional

import numpy as np

PRECISIONS = ('fp32', 'default', 'int8')


class ModelFileError(FileNotFoundError):
    """An exported graph file that is missing or cannot be read; the
    message names it."""


def weights_file(path: str) -> Optional[str]:
    """The ``.bin`` an OpenVINO ``.xml`` needs beside it, None for other
    graph files.

    Args:
        path (str): A graph file.

    Returns:
        str or None: The weights file.
    """
    stem, ext = os.path.splitext(path)
    return stem + '.bin' if ext == '.xml' else None


class OnnxRuntimeSession:
    """ONNX Runtime on the CPU.

    Args:
        path (str): The ``.onnx`` file.
        threads (int, optional): Intra-op threads; ONNX Runtime's default
            (all cores) when None.
    """

    def __init__(self, path: str, threads: Optional[int] = None) -> None:
        import onnxruntime as ort
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(
                path, options, providers=['CPUExecutionProvider'])
        except Exception as error:  # ORT raises its own unrelated classes
            raise ModelFileError(f'{path}: ONNX Runtime cannot read it '
                                 f'({error}); export again') from None
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.precision = 'fp32'

    def __call__(self, inputs: Dict[str, np.ndarray]) -> List[np.ndarray]:
        """Run the graph.

        Args:
            inputs (dict[str, np.ndarray]): By input name.

        Returns:
            list[np.ndarray]: The outputs, in the exported order.
        """
        return self.session.run(self.output_names, inputs)


class OpenVinoSession:
    """OpenVINO on the CPU.

    Args:
        path (str): The ``.xml`` (its ``.bin`` beside it) or ``.onnx`` file.
        precision (str): ``'fp32'`` (``INFERENCE_PRECISION_HINT=f32``), or
            ``'default'`` / ``'int8'`` (OpenVINO's choice: bf16 on CPUs
            that run it natively; an INT8 model's quantized layers run in
            INT8). Defaults to ``'fp32'``.
        threads (int, optional): Inference threads; OpenVINO's default when
            None.
        hint (str): OpenVINO's ``PERFORMANCE_HINT``: ``'LATENCY'`` (one
            request uses every core) or ``'THROUGHPUT'`` (parallel
            streams, for :meth:`run_many`). Defaults to ``'LATENCY'``.
    """

    def __init__(self,
                 path: str,
                 precision: str = 'fp32',
                 threads: Optional[int] = None,
                 hint: str = 'LATENCY') -> None:
        import openvino as ov
        if precision not in PRECISIONS:
            raise ValueError(f'OpenVINO precision must be one of {PRECISIONS}'
                             f', got {precision!r}')
        core = ov.Core()
        config = {'PERFORMANCE_HINT': hint}
        if precision == 'fp32':
            config['INFERENCE_PRECISION_HINT'] = 'f32'
        if threads:
            config['INFERENCE_NUM_THREADS'] = threads
        try:
            model = core.read_model(path)
        except RuntimeError as error:
            raise ModelFileError(f'{path}: OpenVINO cannot read it '
                                 f'({error}); export again') from None
        self.compiled = core.compile_model(model, 'CPU', config)
        self.request = self.compiled.create_infer_request()
        self.precision = str(
            self.compiled.get_property('INFERENCE_PRECISION_HINT'))

    def _outputs(self, request) -> List[np.ndarray]:
        return [
            np.array(request.get_tensor(output).data)
            for output in self.compiled.outputs
        ]

    def __call__(self, inputs: Dict[str, np.ndarray]) -> List[np.ndarray]:
        """Run the graph.

        Args:
            inputs (dict[str, np.ndarray]): By input name.

        Returns:
            list[np.ndarray]: The outputs, in the exported order.
        """
        self.request.infer(inputs)
        return self._outputs(self.request)

    def run_many(self, batches: Iterable[Dict[str, np.ndarray]]) -> List:
        """Run batches on OpenVINO's asynchronous request queue (as many
        requests in flight as the compiled model's streams), taking each
        batch as soon as it is ready.

        Args:
            batches (Iterable[dict]): Inputs of each batch.

        Returns:
            list[list[np.ndarray]]: The outputs of each batch, in order.
        """
        from openvino import AsyncInferQueue
        queue = AsyncInferQueue(self.compiled)
        results = {}

        def done(request, index):
            results[index] = self._outputs(request)

        queue.set_callback(done)
        count = 0
        for count, inputs in enumerate(batches, 1):
            queue.start_async(inputs, count - 1)
        queue.wait_all()
        return [results[i] for i in range(count)]


def open_session(path: str,
                 backend: str,
                 precision: str,
                 threads: Optional[int],
                 hint: str = 'LATENCY'):
    """Open one exported graph on a backend.

    Args:
        path (str): The graph's file.
        backend (str): ``'onnxruntime'`` or ``'openvino'``.
        precision (str): See :class:`OpenVinoSession`; ONNX Runtime runs
            fp32 only.
        threads (int, optional): Threads.
        hint (str): OpenVINO's performance hint.

    Returns:
        The session, callable on a dict of inputs.
    """
    if backend == 'onnxruntime':
        if precision != 'fp32':
            raise ValueError('ONNX Runtime runs the exported fp32 graphs; '
                             f'precision {precision!r} is OpenVINO only')
        check_model_files(path)
        return OnnxRuntimeSession(path, threads)
    check_model_files(path)
    return OpenVinoSession(path, precision, threads, hint)


def check_model_files(path: str) -> None:
    """Refuse a graph file, or the ``.bin`` of an OpenVINO ``.xml``, that is
    missing, naming it (OpenVINO's own message names neither).

    Args:
        path (str): A graph file.

    Raises:
        ModelFileError: Naming the missing file.
    """
    if not os.path.isfile(path):
        raise ModelFileError(f'{path}: no such model file')
    weights = weights_file(path)
    if weights is not None and not os.path.isfile(weights):
        raise ModelFileError(f'{weights}: missing, the weights of {path} '
                             '(an OpenVINO model is the .xml and its .bin); '
                             'export again')
