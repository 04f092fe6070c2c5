# What the course's seed code actually did: ImageNet ResNet18 with every layer
# trained. Adam lr 5e-5, batch 256, 50 epochs, StepLR 20 / 0.5.
_base_ = [
    '../_base_/models/resnet18_multilabel.py',
    '../_base_/datasets/voc07_multilabel.py', '../_base_/cls_runtime.py'
]

train_dataloader = dict(batch_size=256)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-5))
param_scheduler = dict(type='StepLR', by_epoch=True, step_size=20, gamma=0.5)
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
auto_scale_lr = dict(base_batch_size=256)
