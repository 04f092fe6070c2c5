# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Predicted and true boxes drawn on images."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# distinct colours (RGB) for up to 20 classes, then they repeat
PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60),
           (250, 190, 212), (0, 128, 128), (220, 190, 255), (170, 110, 40),
           (255, 250, 200), (128, 0, 0), (170, 255, 195), (128, 128, 0),
           (255, 215, 180), (0, 0, 128), (128, 128, 128), (255, 225, 25)]
TRUE_COLOUR = (255, 255, 255)

Rect = Tuple[float, float, float, float]


def label_font(image_size: Tuple[int, int],
               font_scale: float = 1.0) -> ImageFont.ImageFont:
    """PIL's own font at a size that reads on an image of this size.

    Args:
        image_size (tuple[int, int]): Width and height of the drawn image.
        font_scale (float): A factor on the chosen size. Defaults to 1.

    Returns:
        ImageFont.ImageFont: About 1/40 of the shorter side, at least 11 px
        (times ``font_scale``).
    """
    return ImageFont.load_default(
        size=round(max(11,
                       min(image_size) / 40) * font_scale))


def place_labels(boxes: Sequence[Rect], sizes: Sequence[Tuple[float, float]],
                 image_size: Tuple[int, int]) -> List[Optional[Rect]]:
    """Choose where each box's label goes, best box first.

    A label goes inside its box's top edge when the box is at least three
    labels high and wider than the label, else just above the box (below
    its top edge at the image's top); it is shifted to lie inside the
    image, and moved down the box or beside it when it would cover a label
    already placed or the centre of another box. A label with no such place
    is left out (its box is still drawn): with hundreds of small boxes,
    labels would otherwise hide the objects and each other.

    Args:
        boxes (Sequence[Rect]): Boxes x1, y1, x2, y2, in drawing order of
            priority (the first keeps its preferred place).
        sizes (Sequence[tuple[float, float]]): Each label's width, height.
        image_size (tuple[int, int]): Width and height.

    Returns:
        list[Rect | None]: Each label's rectangle, inside the image; None
        for a label left out.
    """
    width, height = image_size
    every = np.asarray(boxes, float).reshape(-1, 4)
    placed: List[Rect] = []
    out: List[Optional[Rect]] = []
    for k, ((x1, y1, x2, y2), (w, h)) in enumerate(zip(boxes, sizes)):
        inside = y2 - y1 >= 3 * h and x2 - x1 > w
        tops = [y1 if inside or y1 < h else y1 - h]
        tops += [tops[0] + k * h for k in range(1, 4)] + [y2, y2 - h]
        xs = [x1, x2 - w, x1 - w, x2]  # left edge, right edge, beside
        candidates = [(min(max(x, 0),
                           max(width - w,
                               0)), min(max(t, 0), max(height - h, 0)), w, h)
                      for x in xs for t in tops]
        others = np.delete(every, k, axis=0)
        free = [
            c for c in candidates
            if not any(_overlap(c, p)
                       for p in placed) and not _hides(c, others)
        ]
        if not free:
            out.append(None)
            continue
        x, y, w, h = free[0]
        placed.append((x, y, x + w, y + h))
        out.append(placed[-1])
    return out


def _hides(label: Tuple[float, float, float, float],
           boxes: np.ndarray) -> bool:
    """Whether a label (x, y, w, h) covers the centre of any of the (N, 4)
    boxes (a box the label only overlaps at its edge stays readable)."""
    x, y, w, h = label
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return bool(np.any((x < cx) & (cx < x + w) & (y < cy) & (cy < y + h)))


def _overlap(a: Tuple[float, float, float, float], b: Rect) -> bool:
    x, y, w, h = a
    return x < b[2] and b[0] < x + w and y < b[3] and b[1] < y + h


def draw_detections(image: np.ndarray,
                    classes: Sequence[str],
                    boxes: np.ndarray,
                    labels: np.ndarray,
                    scores: Optional[np.ndarray],
                    score_thr: float = 0.3,
                    gt_boxes: Optional[np.ndarray] = None,
                    gt_labels: Optional[np.ndarray] = None,
                    scale: int = 1,
                    show_labels: bool = True,
                    show_scores: bool = True,
                    font_scale: float = 1.0,
                    legend: bool = False,
                    ids: Optional[np.ndarray] = None) -> Image.Image:
    """Draw predictions (class colour, label and score) and, if given, the
    true boxes (white, thin, labelled at their bottom).

    Labels are placed by :func:`place_labels` (the best-scored first, never
    outside the image, off each other: one with no room left is left out,
    and counted in the log), in a font sized to the image
    (:func:`label_font`).

    Args:
        image (np.ndarray): RGB image, (H, W, 3) uint8.
        classes (Sequence[str]): Class names.
        boxes (np.ndarray): Predicted (N, 4) x1, y1, x2, y2.
        labels (np.ndarray): Predicted (N,) class indices.
        scores (np.ndarray, optional): Predicted (N,) scores; None draws
            every box with its class name only.
        score_thr (float): Predictions below are not drawn. Defaults to 0.3.
        gt_boxes (np.ndarray, optional): True (M, 4) boxes. Defaults to None.
        gt_labels (np.ndarray, optional): True (M,) class indices. Defaults to
            None.
        scale (int): Upscaling factor, for small images. Defaults to 1.
        show_labels (bool): Write class names (and scores). Defaults to True.
        show_scores (bool): Write the scores. Defaults to True.
        font_scale (float): A factor on the font size. Defaults to 1.
        legend (bool): List the drawn classes and their colours in the
            top-right corner. Defaults to False.
        ids (np.ndarray, optional): (N,) track identities, written before
            the class (``#3 ring 0.91``). Defaults to None.

    Returns:
        PIL.Image.Image: The drawn image.
    """
    img = Image.fromarray(image)
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale),
                         Image.NEAREST)
    draw = ImageDraw.Draw(img)
    font = label_font(img.size, font_scale)
    line = max(1, round(min(img.size) / 250))
    if gt_boxes is not None:
        for box, label in zip(np.asarray(gt_boxes) * scale, gt_labels):
            draw.rectangle(box.tolist(), outline=TRUE_COLOUR, width=line)
            if show_labels:
                text = f'gt {classes[label]}'
                w, h = _text_size(draw, text, font)
                x = min(max(box[0], 0), max(img.width - w, 0))
                y = min(max(box[3] - h, 0), max(img.height - h, 0))
                draw.text((x + 1, y), text, fill=TRUE_COLOUR, font=font)
    scores_ = None if scores is None else np.asarray(scores)
    order = np.arange(len(boxes)) if scores_ is None else np.flatnonzero(
        scores_ >= score_thr)[np.argsort(
            -scores_[scores_ >= score_thr], kind='stable')]
    drawn = [np.asarray(boxes[i], float) * scale for i in order]
    for i, box in zip(order, drawn):
        draw.rectangle(
            box.tolist(),
            outline=PALETTE[int(labels[i]) % len(PALETTE)],
            width=2 * line)
    if legend:
        _draw_legend(draw, img.size, classes,
                     sorted({int(labels[i])
                             for i in order}), font)
    if not show_labels:
        return img
    texts = [
        classes[int(labels[i])] if scores_ is None or not show_scores else
        f'{classes[int(labels[i])]} {scores_[i]:.2f}' for i in order
    ]
    if ids is not None:
        texts = [f'#{int(ids[i])} {text}' for i, text in zip(order, texts)]
    sizes = [_text_size(draw, text, font) for text in texts]
    rects = place_labels([tuple(b) for b in drawn], sizes, img.size)
    left_out = sum(rect is None for rect in rects)
    if left_out:
        # imported here: drawing itself needs numpy and PIL only
        from mmengine.logging import print_log
        print_log(
            f'{left_out} of {len(rects)} labels left out: no room that hides '
            'no other label or box (a smaller --font-scale, a higher '
            '--score-thr or --no-labels shows the boxes better)', 'current')
    for i, text, rect in reversed(list(zip(order, texts, rects))):
        if rect is None:
            continue
        draw.rectangle(rect, fill=PALETTE[int(labels[i]) % len(PALETTE)])
        draw.text((rect[0] + 1, rect[1]), text, fill=(0, 0, 0), font=font)
    return img


def _draw_legend(draw: ImageDraw.ImageDraw, size: Tuple[int, int],
                 classes: Sequence[str], shown: Sequence[int],
                 font: ImageFont.ImageFont) -> None:
    """A swatch and the name of each drawn class, top right."""
    rows = [(classes[i], PALETTE[i % len(PALETTE)]) for i in shown]
    if not rows:
        return
    sizes = [_text_size(draw, name, font) for name, _ in rows]
    w = max(s[0] for s in sizes) + sizes[0][1] + 4
    h = sizes[0][1]
    x, y = max(size[0] - w - 2, 0), 2
    draw.rectangle([x, y, x + w, y + h * len(rows)], fill=(0, 0, 0))
    for k, (name, colour) in enumerate(rows):
        top = y + k * h
        draw.rectangle([x + 2, top + 2, x + h - 2, top + h - 2], fill=colour)
        draw.text((x + h + 2, top), name, fill=(255, 255, 255), font=font)


def _text_size(draw: ImageDraw.ImageDraw, text: str,
               font: ImageFont.ImageFont) -> Tuple[float, float]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    return right + 2, bottom + 2


def save_detection_grid(images: List[Image.Image],
                        out_file: str,
                        columns: int = 4) -> str:
    """Tile drawn images into one PNG, each whole: a tile is as wide as the
    widest image and as high as the highest.

    Args:
        images (list[PIL.Image.Image]): Images of any sizes.
        out_file (str): The PNG to write.
        columns (int): Images per row. Defaults to 4.

    Returns:
        str: ``out_file``.
    """
    w = max(img.width for img in images)
    h = max(img.height for img in images)
    rows = (len(images) + columns - 1) // columns
    grid = Image.new('RGB', (w * min(columns, len(images)), h * rows))
    for i, img in enumerate(images):
        grid.paste(img, ((i % columns) * w, (i // columns) * h))
    grid.save(out_file)
    return out_file
