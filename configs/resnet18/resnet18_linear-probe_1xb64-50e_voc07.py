# Linear probe: torchvision's ImageNet ResNet18 frozen (weights and BatchNorm
# statistics), only a linear layer on its pooled 512-d feature trains. The
# training pipeline is deterministic, so the features are computed once
# (CachedFeatureTrainLoop) and every epoch trains the head alone.
_base_ = [
    '../_base_/models/resnet18_multilabel.py',
    '../_base_/datasets/voc07_multilabel.py', '../_base_/cls_runtime.py'
]

model = dict(type='LinearProbeClassifier', backbone=dict(norm_eval=True))

train_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=50)
train_cfg = dict(type='CachedFeatureTrainLoop', max_epochs=50, val_interval=10)
auto_scale_lr = dict(base_batch_size=64)
