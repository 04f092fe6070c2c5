# Short name of configs/fcos/fcos_regnetx-400mf_fpn_8xb2-1x_voc0712.py: FCOS
# with torchvision's RegNetX-400MF + FPN P3-P7 on VOC07+12, 12 epochs.
#   python tools/train.py configs/fcos_voc.py
#   bash tools/dist_train.sh configs/fcos_voc.py 8
_base_ = './fcos/fcos_regnetx-400mf_fpn_8xb2-1x_voc0712.py'
