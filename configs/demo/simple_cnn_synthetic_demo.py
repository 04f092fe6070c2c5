# `make demo`: the course's simple CNN on LODAA's synthetic shapes (five
# classes; tools/make_synthetic_voc.py), from scratch. The whole image is
# resized to 64x64: random crops would cut shapes out of the image while its
# labels still name them.
_base_ = '../simple_cnn/simple-cnn_1xb64-30e_voc07-64px.py'

data_root = 'work_dirs/demo/data/VOCdevkit/VOC2007'
num_classes = 5
model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
train_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='Resize', scale=({{_base_.image_size}}, {{_base_.image_size}})),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(
    batch_size=32, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

param_scheduler = dict(milestones=[15, 18])
train_cfg = dict(max_epochs=20, val_interval=20)
