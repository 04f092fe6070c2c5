# What the course's seed code actually did: ImageNet ResNet18 with every layer
# trained. Adam lr 5e-5, batch 256, 50 epochs, StepLR 20 / 0.5.
_base_ = './_base_/voc07_multilabel.py'

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='TorchvisionBackbone',
        model_name='resnet18',
        out_indices=(3, ),
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='torchvision://resnet18.imagenet1k_v1')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='DifficultAwareMultiLabelHead',
        num_classes={{_base_.num_classes}},
        in_channels=512,
        difficult='ignore'))

train_dataloader = dict(batch_size=256)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-5))
param_scheduler = dict(type='StepLR', by_epoch=True, step_size=20, gamma=0.5)
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
auto_scale_lr = dict(base_batch_size=256)
