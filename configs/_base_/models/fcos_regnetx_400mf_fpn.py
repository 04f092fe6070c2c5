# FCOS with torchvision's ImageNet RegNetX-400MF, FPN P3-P7 and the FCOS head
# variant with centerness on the box-regression tower (arXiv 2006.09214).
model = dict(
    type='FCOS',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # torchvision's ImageNet normalisation (RGB, 0-1 mean/std) in 0-255.
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='TorchvisionBackbone',
        model_name='regnet_x_400mf',
        out_indices=(1, 2, 3),  # trunk_output.block2..4: strides 8/16/32
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='torchvision://regnet_x_400mf.imagenet1k_v1')),
    neck=dict(
        type='FPN',
        in_channels=[64, 160, 400],
        out_channels=256,
        start_level=0,
        add_extra_convs='on_output',
        num_outs=5,
        relu_before_extra_convs=True),
    bbox_head=dict(
        type='FCOSRegCenternessHead',
        num_classes=20,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        strides=[8, 16, 32, 64, 128],
        regress_ranges=((-1, 64), (64, 128), (128, 256), (256, 512), (512,
                                                                      1e8)),
        center_sampling=True,
        center_sample_radius=1.5,
        norm_on_bbox=True,
        score_fusion='sqrt',
        conv_bias=True,
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        # IoU loss weighted by the centerness target, as mmdet; how it
        # compares with GIoU and torchvision's plain mean: docs/benchmarks.md
        loss_bbox=dict(type='IoULoss', loss_weight=1.0),
        bbox_loss_weighting='centerness',
        loss_centerness=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.6),
        max_per_img=100))
