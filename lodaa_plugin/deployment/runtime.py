# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The backends that run an exported network: ONNX Runtime and OpenVINO."""
import os
from typing import List, Optional

import numpy as np


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
        self.session = ort.InferenceSession(
            path, options, providers=['CPUExecutionProvider'])
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.precision = 'fp32'

    def __call__(self, batch: np.ndarray) -> List[np.ndarray]:
        """Run the network.

        Args:
            batch (np.ndarray): (N, 3, H, W) float32.

        Returns:
            list[np.ndarray]: The outputs, in the exported order.
        """
        return self.session.run(self.output_names, {self.input_name: batch})


class OpenVinoSession:
    """OpenVINO on the CPU.

    Args:
        path (str): The ``.xml`` file (its ``.bin`` beside it).
        precision (str): ``'fp32'`` (``INFERENCE_PRECISION_HINT=f32``) or
            ``'default'`` (OpenVINO's choice: bf16 on CPUs that run it
            natively). Defaults to ``'fp32'``.
        threads (int, optional): Inference threads; OpenVINO's default when
            None.
    """

    def __init__(self,
                 path: str,
                 precision: str = 'fp32',
                 threads: Optional[int] = None) -> None:
        import openvino as ov
        core = ov.Core()
        config = {}
        if precision == 'fp32':
            config['INFERENCE_PRECISION_HINT'] = 'f32'
        elif precision != 'default':
            raise ValueError(
                f"OpenVINO precision must be 'fp32' or 'default', got "
                f'{precision!r}')
        if threads:
            config['INFERENCE_NUM_THREADS'] = threads
        self.compiled = core.compile_model(
            core.read_model(path), 'CPU', config)
        self.request = self.compiled.create_infer_request()
        self.precision = str(
            self.compiled.get_property('INFERENCE_PRECISION_HINT'))

    def __call__(self, batch: np.ndarray) -> List[np.ndarray]:
        """Run the network.

        Args:
            batch (np.ndarray): (N, 3, H, W) float32.

        Returns:
            list[np.ndarray]: The outputs, in the exported order.
        """
        results = self.request.infer({0: batch})
        return [
            np.asarray(results[output]) for output in self.compiled.outputs
        ]


def open_session(export_dir: str, models: dict, backend: str, precision: str,
                 threads: Optional[int]):
    """Open the network of ``backend`` from an export folder.

    Args:
        export_dir (str): The folder.
        models (dict): ``deploy.json``'s ``models``.
        backend (str): ``'onnxruntime'`` or ``'openvino'``.
        precision (str): See :class:`OpenVinoSession`; ONNX Runtime runs
            fp32 only.
        threads (int, optional): Threads.

    Returns:
        The session, callable on a batch.
    """
    if backend == 'onnxruntime':
        if precision != 'fp32':
            raise ValueError('ONNX Runtime runs the exported fp32 network; '
                             f'precision {precision!r} is OpenVINO only')
        return OnnxRuntimeSession(
            os.path.join(export_dir, models['onnx']), threads)
    # OpenVINO reads its own IR when exported, else the ONNX file
    name = models.get('openvino', models.get('onnx'))
    return OpenVinoSession(os.path.join(export_dir, name), precision, threads)
