# torchvision's ImageNet ResNet18, globally pooled 512-d feature, a linear
# multi-label head for VOC's 20 classes; difficult-only labels ignored.
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
        num_classes=20,
        in_channels=512,
        difficult='ignore'))
