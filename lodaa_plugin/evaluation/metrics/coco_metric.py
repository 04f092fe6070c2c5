# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""mmdet's COCO metric with the categories of an annotation file matched to
the classes by name, as :class:`~lodaa_plugin.datasets.LodaaCocoDataset`
labels them."""
import contextlib
import io
from typing import Dict, Optional

from mmdet.datasets.api_wrappers import COCO
from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS

from ...json_files import read_json


@METRICS.register_module()
class LodaaCocoMetric(CocoMetric):
    """:class:`mmdet.evaluation.CocoMetric`, reading ``ann_file`` as
    LODAA's COCO dataset reads it.

    mmdet gives label ``i`` the ``i``-th category *in the file's order*;
    LODAA's dataset gives it the category named ``classes[i]``. With a file
    whose ids are out of order, or ``classes`` in another order than the
    file's, mmdet's metric would score each detection as another class.
    Here label ``i`` is the category named ``classes[i]``, and the file may
    start with a UTF-8 byte-order mark; a class the file lacks is an error
    naming the file. Without ``ann_file`` (the ground truth taken from the
    dataset) it is mmdet's metric unchanged.

    Args:
        ann_file (str, optional): A COCO JSON file. Defaults to None.
        **kwargs: Everything :class:`~mmdet.evaluation.CocoMetric` takes.
    """

    def __init__(self, ann_file: Optional[str] = None, **kwargs) -> None:
        super().__init__(ann_file=None, **kwargs)
        self.ann_file = ann_file
        if ann_file is not None:
            self._coco_api = COCO()
            self._coco_api.dataset = read_json(ann_file)
            with contextlib.redirect_stdout(io.StringIO()):
                self._coco_api.createIndex()

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Match the classes to the file's categories by name, then score
        as mmdet does.

        Args:
            results (list): The processed results of each batch.

        Returns:
            dict[str, float]: mmdet's COCO metrics.
        """
        if self.ann_file is not None and self.cat_ids is None:
            ids = {
                c['name']: c['id']
                for c in self._coco_api.dataset.get('categories', [])
            }
            classes = self.dataset_meta['classes']
            absent = [name for name in classes if name not in ids]
            if absent:
                raise ValueError(
                    f'{self.ann_file}: no category named '
                    f'{", ".join(absent)} (its categories: '
                    f'{", ".join(ids)}); the metric scores the classes '
                    f'{tuple(classes)}')
            # label i -> the id named classes[i]; the evaluation itself
            # (COCOeval sorts its ids, and mmdet's per-class table reads
            # them by position) sees them sorted
            self._label_ids = [ids[name] for name in classes]
            self.cat_ids = sorted(self._label_ids)
        if self.ann_file is not None:
            self.img_ids = self._scored_image_ids(results)
        return super().compute_metrics(results)

    def _scored_image_ids(self, results: list) -> list:
        """The file's images that were scored: mmdet takes every image of
        ``ann_file``, so a test on a subset (``indices``, a shorter list)
        counted the objects of the images never tested as misses."""
        scored = sorted({pred['img_id'] for _, pred in results})
        known = set(self._coco_api.get_img_ids())
        unknown = [i for i in scored if i not in known]
        if unknown:
            raise ValueError(
                f'{self.ann_file}: no image with id {unknown[0]} '
                f'({len(unknown)} of the {len(scored)} scored images are not '
                'in it); the metric reads the ground truth of the images '
                'tested from this file')
        return scored

    def results2json(self, results: list, outfile_prefix: str) -> dict:
        """Write the detections as mmdet does, label ``i`` as the category
        named ``classes[i]``.

        Args:
            results (list): The detections of each image.
            outfile_prefix (str): Where the JSON files go.

        Returns:
            dict: The files written, by kind.
        """
        label_ids = getattr(self, '_label_ids', None)
        if label_ids is None:
            return super().results2json(results, outfile_prefix)
        evaluated, self.cat_ids = self.cat_ids, label_ids
        try:
            return super().results2json(results, outfile_prefix)
        finally:
            self.cat_ids = evaluated
