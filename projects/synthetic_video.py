# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A synthetic video with known identities, for scoring tracks: the demo's
shapes (``projects/synthetic_voc.py``: the same classes, colours and
background) moving in straight lines at constant speed, crossing each other
and the frame's border, with their true boxes in MOTChallenge text."""
from typing import List, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .synthetic_voc import (SYNTHETIC_CLASSES, _class_colour, _shape_polygons,
                            _texture)


def make_synthetic_video(video: str,
                         gt_file: str,
                         frames: int = 60,
                         size: Tuple[int, int] = (256, 256),
                         objects: int = 6,
                         object_pixels: Tuple[int, int] = (16, 36),
                         classes: Sequence[str] = SYNTHETIC_CLASSES,
                         seed: int = 0,
                         fps: float = 10.0) -> List[str]:
    """Write the video and its true tracks.

    Args:
        video (str): The video file (``.avi``: Motion JPEG, any size).
        gt_file (str): The true tracks, ``frame,id,x,y,w,h,1,class,-1,-1``
            (frames and ids from 1, class from 0).
        frames (int): Frames. Defaults to 60.
        size (tuple[int, int]): (width, height). Defaults to (256, 256).
        objects (int): Moving shapes. Defaults to 6.
        object_pixels (tuple[int, int]): Smallest and largest side.
            Defaults to (16, 36).
        classes (Sequence[str]): Shapes to draw from. Defaults to the
            demo's five.
        seed (int): Seed of every random choice. Defaults to 0.
        fps (float): Frame rate written. Defaults to 10.

    Returns:
        list[str]: The lines of ``gt_file``.
    """
    rng = np.random.RandomState(seed)
    w, h = size
    background = _texture(rng, w, h)
    tracks = []
    for _ in range(objects):
        name = classes[rng.randint(len(classes))]
        side = rng.uniform(*object_pixels)
        start = rng.uniform([0.1 * w, 0.1 * h], [0.9 * w, 0.9 * h])
        angle = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(1.0, 3.0)  # pixels a frame: some leave
        tracks.append(
            dict(
                label=classes.index(name),
                polygons=_shape_polygons(name, side / 2, side / 2,
                                         rng.uniform(-0.6, 0.6)),
                colour=_class_colour(rng, name),
                start=start,
                step=speed *
                np.array([np.cos(angle), np.sin(angle)])))
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), fps, size)
    lines = []
    for frame in range(frames):
        image = background.copy()
        for track_id, track in enumerate(tracks, 1):
            centre = track['start'] + frame * track['step']
            polygons = [p + centre for p in track['polygons']]
            mask = Image.new('L', size, 0)
            draw = ImageDraw.Draw(mask)
            draw.polygon([tuple(p) for p in polygons[0]], fill=255)
            for hole in polygons[1:]:
                draw.polygon([tuple(p) for p in hole], fill=0)
            ys, xs = np.nonzero(np.asarray(mask))
            if len(xs) < 4:
                continue  # off the frame
            image.paste(track['colour'], (0, 0), mask)
            x1, y1 = int(xs.min()), int(ys.min())
            x2, y2 = int(xs.max()) + 1, int(ys.max()) + 1
            lines.append(f'{frame + 1},{track_id},{x1},{y1},{x2 - x1},'
                         f'{y2 - y1},1,{track["label"]},-1,-1')
        writer.write(np.asarray(image)[..., ::-1].copy())
    writer.release()
    with open(gt_file, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return lines
