# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Sliced inference: detect small objects in a large image tile by tile.

The image is cut into overlapping tiles (:func:`slice_windows`), each tile
(and, optionally, the whole image) goes through the detector as an image of
its own, the boxes are shifted back into the image (:func:`shift_boxes`) and
merged across tiles (:func:`merge_detections`: class-aware NMS, then
``max_per_img``). :func:`sliced_predict` does all of it around any callable
from BGR arrays to detections, so the PyTorch model
(:func:`~lodaa_plugin.apis.predict_images`, ``SlicedDetector``) and the
deployed runtime (:class:`~lodaa_plugin.deployment.DeployedDetector`) share
one definition. Numpy only: the runtime imports no torch.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

MATCH_METRICS = ('iou', 'ios')
MERGES = ('nms', 'nmm')
Detections = Dict[str, np.ndarray]


def _starts(length: int, size: int, step: int) -> List[int]:
    """Tile starts along one side: every ``step``, the last tile moved
    back so that it ends at the border (tiles stay ``size`` long)."""
    if length <= size:
        return [0]
    starts = list(range(0, length - size, step))
    starts.append(length - size)
    return starts


def slice_windows(height: int, width: int, size: int,
                  overlap: float) -> np.ndarray:
    """The tiles that cover an image.

    Tiles are ``size`` square and overlap by ``overlap`` of their side; the
    last row and column are moved inward so that they end at the border
    and keep the full size. A side shorter than ``size`` is one tile as
    long as that side.

    Args:
        height (int): Image rows.
        width (int): Image columns.
        size (int): Tile side in pixels.
        overlap (float): Overlap ratio of neighbouring tiles, in [0, 1).

    Returns:
        np.ndarray: (T, 4) int64 windows ``x1, y1, x2, y2`` (exclusive
        ends), row by row.

    Raises:
        ValueError: A size below 1 or an overlap outside [0, 1).
    """
    if size < 1:
        raise ValueError(f'slice size must be at least 1 pixel, got {size}')
    if not 0 <= overlap < 1:
        raise ValueError(f'slice overlap must be in [0, 1), got {overlap}')
    step = max(1, int(round(size * (1 - overlap))))
    windows = [(x, y, min(x + size, width), min(y + size, height))
               for y in _starts(height, size, step)
               for x in _starts(width, size, step)]
    return np.asarray(windows, np.int64).reshape(-1, 4)


def shift_boxes(boxes: np.ndarray, window: Sequence[int]) -> np.ndarray:
    """Boxes found in a tile, in the image's pixels.

    Args:
        boxes (np.ndarray): (N, 4) ``x1, y1, x2, y2`` in the tile.
        window (Sequence[int]): The tile's ``x1, y1, x2, y2``.

    Returns:
        np.ndarray: (N, 4) float32 boxes in the image.
    """
    offset = np.asarray([window[0], window[1], window[0], window[1]],
                        np.float32)
    return np.asarray(boxes, np.float32).reshape(-1, 4) + offset


def merge_settings(test_cfg: Dict) -> Tuple[float, int]:
    """The merge's IoU threshold and ``max_per_img``, from a detector's
    ``test_cfg`` (``nms.iou_threshold``) or an export's ``deploy.json``
    ``test_cfg`` (``nms_iou``): the detector's own NMS rule.

    Args:
        test_cfg (dict): Either form.

    Returns:
        tuple[float, int]: ``iou_threshold``, ``max_per_img``.
    """
    if 'nms_iou' in test_cfg:
        iou = test_cfg['nms_iou']
    else:
        iou = test_cfg['nms']['iou_threshold']
    return float(iou), int(test_cfg.get('max_per_img', 100))


def _overlaps(box: np.ndarray, others: np.ndarray, metric: str) -> np.ndarray:
    """IoU (or intersection over the smaller box) of one box with others,
    in continuous coordinates as torchvision's NMS."""
    width = np.clip(
        np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0,
        None)
    height = np.clip(
        np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0,
        None)
    inter = width * height
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    if metric == 'ios':
        denominator = np.minimum(area, areas)
    else:
        denominator = area + areas - inter
    return inter / np.maximum(denominator, np.finfo(np.float32).eps)


def merge_detections(bboxes: np.ndarray,
                     scores: np.ndarray,
                     labels: np.ndarray,
                     iou_threshold: float,
                     max_per_img: int,
                     metric: str = 'iou',
                     merge: str = 'nms') -> Detections:
    """Class-aware NMS, then the best ``max_per_img``: the head's rule
    (:func:`~lodaa_plugin.models.dense_heads.fcos_postprocess.\
batched_detections`; a box is dropped when a better one of its class
    overlaps it by more than ``iou_threshold``), here across tiles; or
    SAHI's greedy NMM, where the better box grows to hold the ones it
    drops (an object larger than the tiles' overlap, cut in two, becomes
    one box again).

    Args:
        bboxes (np.ndarray): (N, 4) ``x1, y1, x2, y2``.
        scores (np.ndarray): (N,).
        labels (np.ndarray): (N,) class indices.
        iou_threshold (float): Overlap above which a box is suppressed.
        max_per_img (int): Boxes kept, best first (all when not positive).
        metric (str): ``'iou'`` (the head's) or ``'ios'`` (intersection
            over the smaller box: a part of an object cut by a tile border
            lies inside the whole one's box). Defaults to ``'iou'``.
        merge (str): ``'nms'`` (drop) or ``'nmm'`` (drop into the better
            box: the union of both). Defaults to ``'nms'``.

    Returns:
        dict: ``bboxes`` (K, 4) float32, ``scores`` (K,) float32 and
        ``labels`` (K,) int64, best first.
    """
    if metric not in MATCH_METRICS:
        raise ValueError(f'merge metric must be one of {MATCH_METRICS}, got '
                         f'{metric!r}')
    if merge not in MERGES:
        raise ValueError(f'merge must be one of {MERGES}, got {merge!r}')
    bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
    merged = bboxes.copy()
    scores = np.asarray(scores, np.float32).reshape(-1)
    labels = np.asarray(labels, np.int64).reshape(-1)
    # stable: equal scores keep their input order, as torch's sort
    order = np.argsort(-scores, kind='stable')
    keep = []
    for label in np.unique(labels):
        candidates = order[labels[order] == label]
        while candidates.size:
            best, candidates = candidates[0], candidates[1:]
            keep.append(best)
            matched = _overlaps(bboxes[best], bboxes[candidates],
                                metric) > iou_threshold
            if merge == 'nmm' and matched.any():
                group = bboxes[np.append(candidates[matched], best)]
                merged[best] = np.concatenate(
                    [group[:, :2].min(0), group[:, 2:].max(0)])
            candidates = candidates[~matched]
    keep = np.asarray(keep, np.int64)
    keep = keep[np.argsort(-scores[keep], kind='stable')]
    if max_per_img > 0:
        keep = keep[:max_per_img]
    return dict(bboxes=merged[keep], scores=scores[keep], labels=labels[keep])


def sliced_predict(predict: Callable[[List[np.ndarray]], List[Detections]],
                   images: Sequence[np.ndarray],
                   size: int,
                   overlap: float,
                   iou_threshold: float,
                   max_per_img: int,
                   whole_image: bool = False,
                   metric: str = 'iou',
                   merge: str = 'nms',
                   batch_size: int = 8) -> List[Detections]:
    """Detect objects in images tile by tile.

    Args:
        predict (Callable): BGR uint8 arrays to per-image detections
            (``bboxes`` in the array's pixels, ``scores``, ``labels``).
        images (Sequence[np.ndarray]): (H, W, 3) BGR uint8 images.
        size (int): Tile side in pixels.
        overlap (float): Overlap ratio of neighbouring tiles.
        iou_threshold (float): Of the merge (:func:`merge_detections`).
        max_per_img (int): Detections kept per image after the merge.
        whole_image (bool): Also detect on the whole image (resized by the
            detector as usual), SAHI's "standard + sliced". Defaults to
            False.
        metric (str): The merge's overlap, ``'iou'`` or ``'ios'``.
            Defaults to ``'iou'``.
        merge (str): ``'nms'`` or ``'nmm'``. Defaults to ``'nms'``.
        batch_size (int): Tiles per call of ``predict``. Defaults to 8.

    Returns:
        list[dict]: Per image ``bboxes`` (K, 4) in the image's pixels,
        ``scores`` and ``labels``, best first.
    """
    crops, owners, windows = [], [], []
    for index, image in enumerate(images):
        height, width = image.shape[:2]
        tiles = slice_windows(height, width, size, overlap)
        if whole_image and len(tiles) > 1:
            tiles = np.concatenate([tiles, [[0, 0, width, height]]])
        for x1, y1, x2, y2 in tiles:
            crops.append(np.ascontiguousarray(image[y1:y2, x1:x2]))
            owners.append(index)
            windows.append((x1, y1, x2, y2))
    found: List[Detections] = []
    for start in range(0, len(crops), batch_size):
        found.extend(predict(crops[start:start + batch_size]))
    out = []
    for index in range(len(images)):
        mine = [i for i, owner in enumerate(owners) if owner == index]
        boxes = [shift_boxes(found[i]['bboxes'], windows[i]) for i in mine]
        scores = [found[i]['scores'] for i in mine]
        labels = [found[i]['labels'] for i in mine]
        out.append(
            merge_detections(
                np.concatenate(boxes), np.concatenate(scores),
                np.concatenate(labels), iou_threshold, max_per_img, metric,
                merge))
    return out


class SlicedPredictor:
    """A predictor that detects tile by tile: :func:`sliced_predict`
    around another.

    Args:
        predict (Callable): BGR uint8 arrays to per-image detections.
        read (Callable, optional): An image file to a BGR uint8 array;
            None when only arrays (video frames) come.
        test_cfg (dict): The detector's (or ``deploy.json``'s) test
            settings, for the merge (:func:`merge_settings`).
        size (int): Tile side in pixels.
        overlap (float): Overlap ratio of neighbouring tiles.
        whole_image (bool): Also detect on the whole image. Defaults to
            False.
        metric (str): The merge's overlap. Defaults to ``'iou'``.
        merge (str): ``'nms'`` or ``'nmm'``. Defaults to ``'nms'``.
        batch_size (int): Tiles per call of ``predict``. Defaults to 8.
    """

    def __init__(self,
                 predict: Callable[[List[np.ndarray]], List[Detections]],
                 read: Optional[Callable[[str], np.ndarray]],
                 test_cfg: Dict,
                 size: int,
                 overlap: float,
                 whole_image: bool = False,
                 metric: str = 'iou',
                 merge: str = 'nms',
                 batch_size: int = 8) -> None:
        self.predict = predict
        self.read = read
        self.iou_threshold, self.max_per_img = merge_settings(test_cfg)
        self.size, self.overlap = size, overlap
        self.whole_image, self.metric, self.merge = whole_image, metric, merge
        self.batch_size = batch_size

    @classmethod
    def from_args(cls, predict: Callable[[List[np.ndarray]], List[Detections]],
                  read: Optional[Callable[[str], np.ndarray]], test_cfg: Dict,
                  args) -> 'SlicedPredictor':
        """The predictor a tool's ``--slice`` options ask for
        (``lodaa_plugin.utils.cli_args.add_slice_args``).

        Args:
            predict (Callable): As for the class.
            read (Callable, optional): As for the class.
            test_cfg (dict): As for the class.
            args (argparse.Namespace): With ``slice``, ``overlap``,
                ``slice_whole``, ``slice_match``, ``slice_merge`` and
                ``batch_size``.

        Returns:
            SlicedPredictor: The sliced predictor.
        """
        return cls(predict, read, test_cfg, args.slice, args.overlap,
                   args.slice_whole, args.slice_match, args.slice_merge,
                   args.batch_size)

    def __call__(self,
                 images: Sequence[Union[str, np.ndarray]]) -> List[Detections]:
        """Detect objects in images (files or BGR arrays), tile by tile.

        Args:
            images (Sequence[str | np.ndarray]): Files or BGR uint8 arrays.

        Returns:
            list[dict]: Per image ``bboxes``, ``scores``, ``labels``.
        """
        arrays = [
            self.read(image) if isinstance(image, str) else image
            for image in images
        ]
        return sliced_predict(self.predict, arrays, self.size, self.overlap,
                              self.iou_threshold, self.max_per_img,
                              self.whole_image, self.metric, self.merge,
                              self.batch_size)
