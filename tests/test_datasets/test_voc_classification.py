# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LodaaVOCClsDataset labels: difficult-only classes are kept apart."""
import os.path as osp

from lodaa_testing import VOC07_ROOT

VOC07 = osp.join(VOC07_ROOT, 'VOC2007')


def test_dataset_labels_skip_difficult_only_classes():
    from lodaa_plugin.datasets import LodaaVOCClsDataset
    ds = LodaaVOCClsDataset(data_root=VOC07, split='test', test_mode=True)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    both = [i for i in infos if len(i['gt_label_difficult'])]
    assert both, 'the sample has images with difficult-only classes'
    for info in infos:
        assert not set(info['gt_label']) & set(info['gt_label_difficult'])
