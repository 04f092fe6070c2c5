# torchvision's ImageNet ResNet18, globally pooled 512-d feature, a linear
# multi-label head; difficult-only labels ignored.
_base_ = './voc07_multilabel.py'

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
