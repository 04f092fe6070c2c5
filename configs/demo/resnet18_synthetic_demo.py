# `make demo`: ResNet18 with every layer trained from RANDOM weights (the demo
# downloads nothing; the recipes use torchvision's ImageNet weights) on
# LODAA's synthetic shapes: five classes, 112x112 crops of the 128x128 images.
# Its features are the ones the demo's t-SNE shows.
_base_ = [
    '../_base_/models/resnet18_multilabel.py',
    '../_base_/datasets/voc07_multilabel.py', '../_base_/cls_runtime.py'
]

data_root = 'work_dirs/demo/data/VOCdevkit/VOC2007'
num_classes = 5
image_size = 112
model = dict(backbone=dict(init_cfg=None), head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
train_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=image_size,
        crop_ratio_range=(0.6, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
test_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='ResizeEdge', scale=128, edge='short'),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(
    batch_size=32, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = dict(type='StepLR', by_epoch=True, step_size=5, gamma=0.2)
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=8)
