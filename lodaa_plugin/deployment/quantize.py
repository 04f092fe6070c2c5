# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""INT8 for OpenVINO: NNCF's post-training quantization of the end-to-end
graph, calibrated on images pre-processed exactly as the test pipeline
does (the runtime's pre-processing, held equal to mmdet's by tests)."""
import os.path as osp
from typing import Dict, Sequence

from tqdm import tqdm

from .deploy_config import load_deploy_config
from .export import write_deploy_config
from .preprocess import graph_inputs

INT8_FILE = 'end2end_int8.xml'


def quantize_end_to_end(export_dir: str,
                        calibration_images: Sequence[str]) -> Dict:
    """Write ``end2end_int8.xml`` beside the fp32 end-to-end graph and
    record it in ``deploy.json``.

    Args:
        export_dir (str): An export folder with an OpenVINO end-to-end
            graph.
        calibration_images (Sequence[str]): Image files (training images,
            not the test set), one calibration sample each.

    Returns:
        dict: ``deploy.json``'s updated content.
    """
    import nncf
    import openvino as ov
    settings = load_deploy_config(export_dir)
    if 'openvino' not in settings['end2end']:
        raise ValueError(f'{export_dir}: no OpenVINO end-to-end graph; export '
                         'with --backend openvino')
    samples = [
        graph_inputs([path], settings['preprocess'])[0]
        for path in tqdm(calibration_images, desc='calibration', unit='img')
    ]
    model = ov.Core().read_model(
        osp.join(export_dir, settings['end2end']['openvino']))
    quantized = nncf.quantize(
        model, nncf.Dataset(samples), subset_size=len(samples))
    ov.save_model(
        quantized, osp.join(export_dir, INT8_FILE), compress_to_fp16=False)
    settings['end2end']['openvino_int8'] = INT8_FILE
    settings['int8'] = dict(
        method='NNCF post-training quantization',
        calibration_images=len(samples))
    write_deploy_config(export_dir, settings)
    return settings
