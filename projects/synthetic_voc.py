# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A deterministic, synthetic detection dataset in PASCAL VOC layout.

Shapes of five classes (three more on request), each of random size, aspect
ratio and rotation, on muted textured backgrounds with distractor lines; they
overlap and run off the image edge. Tiny and mostly hidden objects are marked
``difficult``, as VOC does. Each class has its own hue family (jittered, with
random saturation and brightness) besides its shape, which lets a detector
trained from random weights learn it on a CPU in minutes; an untrained one
scores about 0.
"""
import colorsys
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from tqdm import tqdm

SYNTHETIC_CLASSES = ('ellipse', 'rectangle', 'triangle', 'cross', 'ring')
# every shape the renderer draws; the demo's set is the first five
SYNTHETIC_SHAPES = SYNTHETIC_CLASSES + ('diamond', 'star', 'hexagon')
# object side over the image's short side, drawn log-uniformly in this range
OBJECT_SCALE = (0.08, 0.5)
# below these an object is marked difficult (VOC marks hard-to-see ones)
MIN_CLEAR_SIZE = 10
MIN_VISIBLE_FRACTION = 0.4


def _texture(rng: np.random.RandomState, w: int, h: int) -> Image.Image:
    """Paint low-frequency colour noise, stripes and speckle."""
    # muted: grey-ish base colours, so objects stand out by colour and shape
    base = rng.randint(70, 186) + rng.randint(-25, 26, 3)
    coarse = base + rng.randint(-45, 46, (max(h // 24, 2), max(w // 24, 2), 3))
    img = Image.fromarray(np.clip(coarse, 0, 255).astype(np.uint8)).resize(
        (w, h), Image.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(2, 6)):
        colour = tuple(
            int(c) for c in rng.randint(60, 200) + rng.randint(-30, 31, 3))
        x0, y0 = rng.randint(-w, w), rng.randint(-h, h)
        draw.line([
            (x0, y0),
            (x0 + rng.randint(-2 * w, 2 * w), y0 + rng.randint(-2 * h, 2 * h))
        ],
                  fill=colour,
                  width=int(rng.randint(1, 4)))
    arr = np.asarray(img, dtype=np.int16)
    arr = arr + rng.randint(-20, 21, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(
        ImageFilter.SMOOTH)


def _rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


def _shape_polygons(name: str, bw: float, bh: float,
                    angle: float) -> List[np.ndarray]:
    """Build the polygons of a shape centred at 0 with half-sizes (bw, bh).

    The first polygon is filled, the others (a ring's hole) are cut out.
    """
    if name in ('ellipse', 'ring'):
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        outer = np.stack([bw * np.cos(t), bh * np.sin(t)], 1)
        polys = [outer]
        if name == 'ring':
            polys.append(outer * 0.55)
    elif name == 'rectangle':
        polys = [np.array([[-bw, -bh], [bw, -bh], [bw, bh], [-bw, bh]])]
    elif name == 'diamond':
        polys = [np.array([[0, -bh], [bw, 0], [0, bh], [-bw, 0]])]
    elif name in ('star', 'hexagon'):
        corners = 10 if name == 'star' else 6
        t = np.linspace(0, 2 * np.pi, corners, endpoint=False) - np.pi / 2
        radius = np.ones(corners)
        if name == 'star':
            radius[1::2] = 0.45
        polys = [
            np.stack([bw * radius * np.cos(t), bh * radius * np.sin(t)], 1)
        ]
    elif name == 'triangle':
        polys = [np.array([[0, -bh], [bw, bh], [-bw, bh]])]
    elif name == 'cross':
        a, b = bw * 0.33, bh * 0.33
        polys = [
            np.array([[-a, -bh], [a, -bh], [a, -b], [bw, -b], [bw, b], [a, b],
                      [a, bh], [-a, bh], [-a, b], [-bw, b], [-bw, -b],
                      [-a, -b]])
        ]
    else:
        raise ValueError(f'unknown synthetic shape {name!r}')
    return [_rotate(p, angle) for p in polys]


def _random_colour(rng: np.random.RandomState) -> Tuple[int, int, int]:
    return tuple(int(c) for c in rng.randint(0, 256, 3))


def _class_hue(name: str) -> float:
    # the demo's five classes are spread over the hue circle; the extra
    # shapes sit halfway between them, so their colours are closer
    if name in SYNTHETIC_CLASSES:
        return SYNTHETIC_CLASSES.index(name) / len(SYNTHETIC_CLASSES)
    extra = SYNTHETIC_SHAPES.index(name) - len(SYNTHETIC_CLASSES)
    return (extra + 0.5) / len(SYNTHETIC_CLASSES)


def _class_colour(rng: np.random.RandomState,
                  name: str) -> Tuple[int, int, int]:
    """Draw a saturated colour near the class's own hue."""
    hue = (_class_hue(name) + rng.uniform(-0.04, 0.04)) % 1.0
    rgb = colorsys.hsv_to_rgb(hue, rng.uniform(0.55, 1.0),
                              rng.uniform(0.55, 1.0))
    return tuple(int(255 * c) for c in rgb)


def render_image(
    rng: np.random.RandomState,
    size: Tuple[int, int],
    classes: Sequence[str],
    max_objects: int,
    object_scale: Tuple[float, float] = OBJECT_SCALE
) -> Tuple[Image.Image, List[Dict]]:
    """Render one image and its objects (name, 1-based box, difficult).

    Args:
        rng (np.random.RandomState): The image's random stream.
        size (tuple[int, int]): (width, height).
        classes (Sequence[str]): Shape names to draw from.
        max_objects (int): Most objects in one image (at least 1).
        object_scale (tuple[float, float]): Smallest and largest object
            side over the short image side. Defaults to ``(0.08, 0.5)``.

    Returns:
        tuple: The RGB image and a list of object dicts.
    """
    w, h = size
    img = _texture(rng, w, h)
    draw = ImageDraw.Draw(img)
    owner = Image.new('I', (w, h), -1)
    owner_draw = ImageDraw.Draw(owner)
    masks, objects = [], []
    short = min(w, h)
    for index in range(rng.randint(1, max_objects + 1)):
        class_index = rng.randint(len(classes))
        name = classes[class_index]
        scale = short * np.exp(
            rng.uniform(np.log(object_scale[0]), np.log(object_scale[1])))
        aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
        bw, bh = scale * np.sqrt(aspect) / 2, scale / np.sqrt(aspect) / 2
        angle = rng.uniform(-0.6, 0.6) if name != 'ring' else 0.0
        # centres may sit near or past the border: truncated objects
        cx, cy = rng.uniform(-0.1 * w, 1.1 * w), rng.uniform(-0.1 * h, 1.1 * h)
        polys = _shape_polygons(name, bw, bh, angle)
        polys = [p + np.array([cx, cy]) for p in polys]
        mask = Image.new('L', (w, h), 0)
        mask_draw = ImageDraw.Draw(mask)
        outer = [tuple(pt) for pt in polys[0]]
        mask_draw.polygon(outer, fill=255)
        for hole in polys[1:]:
            mask_draw.polygon([tuple(pt) for pt in hole], fill=0)
        mask_arr = np.asarray(mask) > 0
        if mask_arr.sum() < 4:
            continue  # entirely off the image
        colour = _class_colour(rng, name)
        img.paste(colour, (0, 0), mask)
        owner_draw.bitmap((0, 0), mask, fill=index)
        ys, xs = np.nonzero(mask_arr)
        masks.append((index, mask_arr))
        objects.append(
            dict(
                name=name,
                index=index,
                # VOC boxes are 1-based inclusive pixel coordinates
                bbox=(int(xs.min()) + 1, int(ys.min()) + 1, int(xs.max()) + 1,
                      int(ys.max()) + 1)))
        # an outline on some objects, in a different colour
        if rng.rand() < 0.3:
            draw.line(outer + [outer[0]], fill=_random_colour(rng), width=1)
    owner_arr = np.asarray(owner)
    for obj, (index, mask_arr) in zip(objects, masks):
        x1, y1, x2, y2 = obj['bbox']
        visible = (owner_arr[mask_arr] == index).mean()
        small = min(x2 - x1, y2 - y1) + 1 < MIN_CLEAR_SIZE
        obj['difficult'] = bool(small or visible < MIN_VISIBLE_FRACTION)
        obj['truncated'] = bool(x1 == 1 or y1 == 1 or x2 == w or y2 == h)
    # A sliver one pixel wide at the border is a box of no width in mmdet's
    # 0-based coordinates, which the VOC loader drops with a warning. Leaving
    # it out of the annotation, not the picture, keeps the random stream and
    # so every image, and what trains and scores, as before.
    objects = [
        obj for obj in objects
        if obj['bbox'][2] > obj['bbox'][0] and obj['bbox'][3] > obj['bbox'][1]
    ]
    return img, objects


def _write_xml(path: str, img_id: str, size: Tuple[int, int],
               objects: List[Dict]) -> None:
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = 'VOC2007'
    ET.SubElement(root, 'filename').text = f'{img_id}.jpg'
    source = ET.SubElement(root, 'source')
    ET.SubElement(source, 'database').text = 'LODAA synthetic'
    size_el = ET.SubElement(root, 'size')
    ET.SubElement(size_el, 'width').text = str(size[0])
    ET.SubElement(size_el, 'height').text = str(size[1])
    ET.SubElement(size_el, 'depth').text = '3'
    ET.SubElement(root, 'segmented').text = '0'
    for obj in objects:
        el = ET.SubElement(root, 'object')
        ET.SubElement(el, 'name').text = obj['name']
        ET.SubElement(el, 'pose').text = 'Unspecified'
        ET.SubElement(el, 'truncated').text = str(int(obj['truncated']))
        ET.SubElement(el, 'difficult').text = str(int(obj['difficult']))
        box = ET.SubElement(el, 'bndbox')
        for tag, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), obj['bbox']):
            ET.SubElement(box, tag).text = str(value)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding='utf-8')


def check_settings(classes: Sequence[str], max_objects: int,
                   object_scale: Tuple[float, float]) -> None:
    """Refuse generator settings it cannot honour.

    Args:
        classes (Sequence[str]): Shapes, a subset of :data:`SYNTHETIC_SHAPES`.
        max_objects (int): Most objects in one image.
        object_scale (tuple[float, float]): Smallest and largest object side
            over the short image side.

    Raises:
        ValueError: Naming the setting and the allowed values.
    """
    unknown = set(classes) - set(SYNTHETIC_SHAPES)
    if unknown:
        raise ValueError(f'unknown synthetic classes {sorted(unknown)}; '
                         f'choose from {SYNTHETIC_SHAPES}')
    if len(set(classes)) != len(classes):
        raise ValueError(f'synthetic classes repeat: {list(classes)}')
    low, high = object_scale
    if not 0 < low <= high <= 1:
        raise ValueError('object_scale must be 0 < smallest <= largest <= 1, '
                         f'got {tuple(object_scale)}')
    if max_objects < 1:
        raise ValueError(f'max_objects must be at least 1, got {max_objects}')


def make_synthetic_voc(out_dir: str,
                       num_trainval: int = 600,
                       num_test: int = 200,
                       seed: int = 0,
                       image_size: Tuple[int, int] = (128, 128),
                       classes: Sequence[str] = SYNTHETIC_CLASSES,
                       max_objects: int = 4,
                       object_scale: Tuple[float, float] = OBJECT_SCALE,
                       progress: bool = True,
                       coco: bool = False) -> str:
    """Write a synthetic VOC-layout dataset; the same seed gives the same
    files.

    Args:
        out_dir (str): Root; the data goes to ``out_dir/VOCdevkit/VOC2007``.
        num_trainval (int): Images in ``trainval.txt``. Defaults to 600.
        num_test (int): Images in ``test.txt``. Defaults to 200.
        seed (int): Seed of every random choice. Defaults to 0.
        image_size (tuple[int, int]): (width, height) of every image. Defaults
            to ``(128, 128)``.
        classes (Sequence[str]): Shapes to use, a subset of
            :data:`SYNTHETIC_SHAPES`. Defaults to ``SYNTHETIC_CLASSES``.
        max_objects (int): Most objects in one image. Defaults to 4.
        object_scale (tuple[float, float]): Smallest and largest object
            side over the short image side. Defaults to ``(0.08, 0.5)``.
        progress (bool): Show a progress bar. Defaults to True.
        coco (bool): Also write the splits as COCO JSON,
            ``out_dir/annotations/instances_{trainval,test}.json``, whose
            file names are relative to ``out_dir``. Defaults to False.

    Returns:
        str: The ``VOCdevkit`` folder, to use as ``data_root``.
    """
    check_settings(classes, max_objects, object_scale)
    root = osp.join(out_dir, 'VOCdevkit', 'VOC2007')
    for sub in ('JPEGImages', 'Annotations', osp.join('ImageSets', 'Main')):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    total = num_trainval + num_test
    ids = [f'{i:06d}' for i in range(total)]
    for i in tqdm(
            range(total), desc='synthetic VOC', unit='img',
            disable=not progress):
        rng = np.random.RandomState([seed, i])
        img, objects = render_image(rng, image_size, classes, max_objects,
                                    object_scale)
        img.save(osp.join(root, 'JPEGImages', f'{ids[i]}.jpg'), quality=92)
        _write_xml(
            osp.join(root, 'Annotations', f'{ids[i]}.xml'), ids[i], image_size,
            objects)
    main = osp.join(root, 'ImageSets', 'Main')
    with open(osp.join(main, 'trainval.txt'), 'w') as f:
        f.write('\n'.join(ids[:num_trainval]) + '\n')
    with open(osp.join(main, 'test.txt'), 'w') as f:
        f.write('\n'.join(ids[num_trainval:]) + '\n')
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    if coco:
        from lodaa_plugin.datasets.voc_to_coco import voc_to_coco
        os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
        for split in ('trainval', 'test'):
            voc_to_coco(
                root, split, classes,
                osp.join(out_dir, 'annotations', f'instances_{split}.json'),
                osp.join('VOCdevkit', 'VOC2007', 'JPEGImages'))
    return osp.join(out_dir, 'VOCdevkit')


# the demo's dataset: `make demo`, and the accuracy comparison by default
DEMO_TRAINVAL, DEMO_TEST, DEMO_SEED = 800, 200, 0


def ensure_synthetic_voc(out_dir: str,
                         num_trainval: int = DEMO_TRAINVAL,
                         num_test: int = DEMO_TEST,
                         seed: int = DEMO_SEED) -> str:
    """Generate a synthetic dataset unless this seed and size is complete
    there already (a stamp file marks it once every file is written).

    Args:
        out_dir (str): Root; the data goes to ``out_dir/VOCdevkit/VOC2007``.
        num_trainval (int): Images in ``trainval.txt``. Defaults to 800.
        num_test (int): Images in ``test.txt``. Defaults to 200.
        seed (int): Seed of every random choice. Defaults to 0.

    Returns:
        str: The ``VOCdevkit/`` folder, to use as ``data_root``.
    """
    stamp = osp.join(out_dir,
                     f'.complete-seed{seed}-{num_trainval}-{num_test}')
    if not osp.isfile(stamp):
        print(f'generating {num_trainval}+{num_test} synthetic images '
              f'(seed {seed}) in {out_dir}')
        make_synthetic_voc(out_dir, num_trainval, num_test, seed)
        open(stamp, 'w').close()
    return osp.join(out_dir, 'VOCdevkit') + '/'
