# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Draw what the model is fed: images and true boxes after the pipeline
(augmentations included), to catch a wrong flip, crop or class list.

    python tools/analysis/browse_dataset.py configs/fcos_voc.py \
        --output-dir work_dirs/browse --show-number 16
    python tools/analysis/browse_dataset.py \
        configs/resnet18/resnet18_linear-probe_1xb64-50e_voc07.py --phase test

Writes one PNG per sample and ``browse.png`` with all of them; detection
boxes in their class colour, labelled, classifier labels as
text. The pipeline's random choices differ on every run, as in training.
"""
import argparse
import os
import os.path as osp

import numpy as np
from mmengine.config import DictAction
from PIL import Image, ImageDraw

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.builders import build_dataset
from lodaa_plugin.utils.cli_args import non_negative_int, positive_int
from lodaa_plugin.utils.config_loading import read_config
from lodaa_plugin.visualization import draw_detections, save_detection_grid
from lodaa_plugin.visualization.detections import label_font


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Draw the dataset as the model sees it")
    parser.add_argument('config')
    parser.add_argument('--output-dir', default='work_dirs/browse')
    parser.add_argument(
        '--phase', default='train', choices=['train', 'val', 'test'])
    parser.add_argument(
        '--show-number', type=positive_int, default=16, help='samples to draw')
    parser.add_argument(
        '--start',
        type=non_negative_int,
        default=0,
        help='index of the first sample')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def model_input_rgb(inputs, bgr_to_rgb: bool) -> np.ndarray:
    """The packed ``inputs`` tensor as an RGB ``(H, W, 3)`` uint8 image.

    Args:
        inputs (torch.Tensor): ``(3, H, W)`` from the pipeline.
        bgr_to_rgb (bool): The data preprocessor swaps channels (the
            pipeline then delivers BGR).

    Returns:
        np.ndarray: The image.
    """
    image = inputs.permute(1, 2, 0).numpy().astype(np.uint8)
    return np.ascontiguousarray(image[..., ::-1] if bgr_to_rgb else image)


def _upscale(image: np.ndarray) -> int:
    """Whole-number zoom that makes small inputs at least 256 pixels."""
    return max(1, 256 // max(image.shape[:2]))


def main() -> None:
    args = parse_args()
    enable_compat()
    cfg = read_config(args.config, args.cfg_options)
    dataset = build_dataset(cfg, args.phase)
    classes = list(dataset.metainfo['classes'])
    preprocessor = cfg.model.get('data_preprocessor', {})
    bgr_to_rgb = bool(
        preprocessor.get('bgr_to_rgb', preprocessor.get('to_rgb', False)))
    os.makedirs(args.output_dir, exist_ok=True)
    end = min(len(dataset), args.start + args.show_number)
    drawings = []
    for index in range(args.start, end):
        sample = dataset[index]
        image = model_input_rgb(sample['inputs'], bgr_to_rgb)
        data_sample = sample['data_samples']
        if 'gt_instances' in data_sample:
            gt = data_sample.gt_instances
            boxes = gt.bboxes.tensor if hasattr(gt.bboxes,
                                                'tensor') else gt.bboxes
            labels = gt.labels.numpy()
            drawing = draw_detections(
                image,
                classes,
                np.asarray(boxes, dtype=np.float32),
                labels,
                None,
                scale=_upscale(image))
            note = (f'{osp.basename(data_sample.img_path)} '
                    f'{image.shape[1]}x{image.shape[0]}'
                    f'{" flipped" if data_sample.get("flip") else ""}')
        else:
            drawing = Image.fromarray(image)
            drawing = drawing.resize((drawing.width * _upscale(image),
                                      drawing.height * _upscale(image)),
                                     Image.NEAREST)
            names = [classes[i] for i in data_sample.gt_label.tolist()]
            note = f'{osp.basename(data_sample.img_path)}: ' + \
                ', '.join(names)
        font = label_font(drawing.size)
        ImageDraw.Draw(drawing).text((3, drawing.height - 3),
                                     note,
                                     fill=(255, 255, 0),
                                     font=font,
                                     anchor='ld',
                                     stroke_width=1,
                                     stroke_fill=(0, 0, 0))
        stem = osp.splitext(osp.basename(data_sample.img_path))[0]
        drawing.save(osp.join(args.output_dir, f'{index:05d}_{stem}.png'))
        drawings.append(drawing)
    if not drawings:
        raise SystemExit(f'{args.config}: the {args.phase} set has no sample '
                         f'from index {args.start}')
    grid = save_detection_grid(drawings, osp.join(args.output_dir,
                                                  'browse.png'))
    print(f'{len(drawings)} {args.phase} samples drawn as the model gets '
          f'them: {args.output_dir}/ and {grid}')


if __name__ == '__main__':
    main()
