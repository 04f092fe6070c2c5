# FCOS (centerness on the box tower, centre sampling, IoU loss, normalised
# targets) with torchvision RegNetX-400MF + FPN P3-P7 on PASCAL VOC07+12,
# evaluated on VOC07 test with the VOC07 11-point mAP@0.5.
#   python tools/train.py configs/fcos_voc.py  (its short name)
#   bash tools/dist_train.sh configs/fcos_voc.py 8
_base_ = [
    '../_base_/models/fcos_regnetx_400mf_fpn.py',
    '../_base_/datasets/voc0712_detection.py', '../_base_/schedules/voc_1x.py',
    '../_base_/default_runtime.py'
]
