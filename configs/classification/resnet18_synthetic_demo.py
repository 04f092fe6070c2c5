# `make demo`: ResNet18 with every layer trained from random weights on the
# synthetic shapes (the features the demo's t-SNE shows).
_base_ = './_base_/resnet18_synthetic_demo.py'

train_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale={{_base_.image_size}},
        crop_ratio_range=(0.6, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = dict(type='StepLR', by_epoch=True, step_size=5, gamma=0.2)
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=8)
