# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Predicted and true boxes drawn on images."""
from typing import List, Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

# distinct colours (RGB) for up to 20 classes, then they repeat
PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60),
           (250, 190, 212), (0, 128, 128), (220, 190, 255), (170, 110, 40),
           (255, 250, 200), (128, 0, 0), (170, 255, 195), (128, 128, 0),
           (255, 215, 180), (0, 0, 128), (128, 128, 128), (255, 225, 25)]
TRUE_COLOUR = (255, 255, 255)


def draw_detections(image: np.ndarray,
                    classes: Sequence[str],
                    boxes: np.ndarray,
                    labels: np.ndarray,
                    scores: Optional[np.ndarray],
                    score_thr: float = 0.3,
                    gt_boxes: Optional[np.ndarray] = None,
                    gt_labels: Optional[np.ndarray] = None,
                    scale: int = 1) -> Image.Image:
    """Draw predictions (class colour, label and score) and, if given, the
    true boxes (white, thin, labelled below the box).

    Args:
        image (np.ndarray): RGB image, (H, W, 3) uint8.
        classes (Sequence[str]): Class names.
        boxes (np.ndarray): Predicted (N, 4) x1, y1, x2, y2.
        labels (np.ndarray): Predicted (N,) class indices.
        scores (np.ndarray, optional): Predicted (N,) scores; None draws
            every box with its class name only (true boxes in class
            colour).
        score_thr (float): Predictions below are not drawn. Defaults to 0.3.
        gt_boxes (np.ndarray, optional): True (M, 4) boxes. Defaults to None.
        gt_labels (np.ndarray, optional): True (M,) class indices. Defaults to
            None.
        scale (int): Upscaling factor, for small images. Defaults to 1.

    Returns:
        PIL.Image.Image: The drawn image.
    """
    img = Image.fromarray(image)
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale),
                         Image.NEAREST)
    draw = ImageDraw.Draw(img)
    if gt_boxes is not None:
        for box, label in zip(np.asarray(gt_boxes) * scale, gt_labels):
            draw.rectangle(box.tolist(), outline=TRUE_COLOUR, width=1)
            draw.text((box[0] + 2, box[3] - 11),
                      f'gt {classes[label]}',
                      fill=TRUE_COLOUR)
    keep = np.ones(len(boxes),
                   bool) if scores is None else np.asarray(scores) >= score_thr
    for i in np.flatnonzero(keep):
        box, label = np.asarray(boxes[i]) * scale, int(labels[i])
        colour = PALETTE[label % len(PALETTE)]
        draw.rectangle(box.tolist(), outline=colour, width=2)
        text = classes[label] if scores is None else \
            f'{classes[label]} {scores[i]:.2f}'
        x, y = box[0], max(box[1] - 11, 0)
        draw.rectangle([x, y, x + 6 * len(text) + 2, y + 10], fill=colour)
        draw.text((x + 1, y - 1), text, fill=(0, 0, 0))
    return img


def save_detection_grid(images: List[Image.Image],
                        out_file: str,
                        columns: int = 4) -> str:
    """Tile drawn images into one PNG.

    Args:
        images (list[PIL.Image.Image]): Images of equal size.
        out_file (str): The PNG to write.
        columns (int): Images per row. Defaults to 4.

    Returns:
        str: ``out_file``.
    """
    w, h = images[0].size
    rows = (len(images) + columns - 1) // columns
    grid = Image.new('RGB', (w * min(columns, len(images)), h * rows))
    for i, img in enumerate(images):
        grid.paste(img, ((i % columns) * w, (i // columns) * h))
    grid.save(out_file)
    return out_file
