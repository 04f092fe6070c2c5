# The course's simple CNN, trained from scratch on 64x64 VOC07 images.
# Adam lr 1e-3, batch 64, 30 epochs, lr x0.1 at 20 and 27.
_base_ = [
    '../_base_/models/simple_cnn_multilabel.py',
    '../_base_/datasets/voc07_multilabel.py', '../_base_/cls_runtime.py'
]

image_size = 64
data_preprocessor = dict(
    # 0-1 pixels centred as the course did: mean/std 0.5
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5])

train_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=image_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
test_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size)),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[20, 27], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
auto_scale_lr = dict(base_batch_size=64)
