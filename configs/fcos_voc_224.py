# Short name of
# configs/fcos/fcos_regnetx-400mf_fpn-p3p5_1xb16-9k_voc0712-224.py:
# the course recipe at 224x224 (P3-P5, 9000 iterations of batch 16).
#   python tools/train.py configs/fcos_voc_224.py
_base_ = './fcos/fcos_regnetx-400mf_fpn-p3p5_1xb16-9k_voc0712-224.py'
