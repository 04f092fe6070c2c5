# The full FCOS recipe (RegNetX-400MF + FPN P3-P7, 12 epochs) on a COCO-JSON
# dataset: images under data_root/images/, annotations/instances_train.json
# and instances_val.json; set model.bbox_head.num_classes to the number of
# the JSON's categories.
_base_ = [
    '../_base_/models/fcos_regnetx_400mf_fpn.py',
    '../_base_/datasets/coco_format_detection.py',
    '../_base_/schedules/voc_1x.py', '../_base_/default_runtime.py'
]
