# ResNet18 on LODAA's synthetic shapes for `make demo`: 112x112 crops of the
# 128x128 images, five classes, RANDOM initial weights (the demo downloads
# nothing; the recipes use torchvision's ImageNet weights).
_base_ = './resnet18_voc07.py'

data_root = 'work_dirs/demo/data/VOCdevkit/VOC2007'
num_classes = 5
image_size = 112
model = dict(backbone=dict(init_cfg=None), head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
test_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='ResizeEdge', scale=128, edge='short'),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(batch_size=32, dataset=dict(data_root=data_root))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
