# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""mmdet's ``eval_map`` without forked processes.

mmdet 3.3's ``eval_map`` forks a ``multiprocessing.Pool`` whenever it is
given more than one image, ``nproc=1`` included; no argument keeps it in
this process. A fork of a process whose torch / OpenMP threads hold a lock
can deadlock (seen once in LODAA's test suite: the children waited on a
futex forever), and the matching is cheap next to the forks.

The same block can record the matching (which detection is a true or false
positive), for bootstrap intervals that re-weight images without matching
again.
"""
import contextlib
import itertools
from typing import Any, Callable, Iterable, Iterator, List, Optional


class _SerialPool:
    """The part of ``multiprocessing.Pool`` that ``eval_map`` uses, run in
    this process."""

    def __init__(self, processes: int = 1) -> None:
        pass

    def starmap(self, fn: Callable[..., Any], iterable: Iterable) -> list:
        return list(itertools.starmap(fn, iterable))

    def close(self) -> None:
        pass


@contextlib.contextmanager
def serial_eval_map(record: Optional[List[tuple]] = None) -> Iterator[None]:
    """Let ``mmdet.evaluation.functional.eval_map`` match boxes in this
    process for the duration of the ``with`` block.

    Args:
        record (list, optional): Appended, per class and image in
            ``eval_map``'s order (class by class, images in order), with
            ``(scores, num_gts, tp, fp)`` of its default VOC matching.
    """
    from mmdet.evaluation.functional import mean_ap
    original, matching = mean_ap.Pool, mean_ap.tpfp_default

    def recorded(det_bboxes, gt_bboxes, *args, **kwargs):
        tp, fp = matching(det_bboxes, gt_bboxes, *args, **kwargs)
        record.append((det_bboxes[:, -1], len(gt_bboxes), tp, fp))
        return tp, fp

    mean_ap.Pool = _SerialPool
    if record is not None:
        mean_ap.tpfp_default = recorded
    try:
        yield
    finally:
        mean_ap.Pool, mean_ap.tpfp_default = original, matching
