# `make demo`'s baseline: a linear probe on a FROZEN, RANDOMLY initialised
# ResNet18. Not the recipe (that freezes ImageNet weights): it shows how much
# a random network's features already separate the shapes.
_base_ = './resnet18_synthetic_demo.py'

model = dict(type='LinearProbeClassifier', backbone=dict(norm_eval=True))
# deterministic, so CachedFeatureTrainLoop computes the features once
train_pipeline = {{_base_.test_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = dict(
    _delete_=True, type='CosineAnnealingLR', by_epoch=True, T_max=20)
train_cfg = dict(
    _delete_=True,
    type='CachedFeatureTrainLoop',
    max_epochs=20,
    val_interval=20)
