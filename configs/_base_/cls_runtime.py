# Runtime settings of the classification configs (mmpretrain conventions).
_base_ = './runtime_common.py'

default_scope = 'mmpretrain'

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_best='auto'),
    visualization=dict(type='VisualizationHook', enable=False))
visualizer = dict(
    type='UniversalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=0, deterministic=False)
# mmpretrain's default validation and test loops
val_cfg = dict()
test_cfg = dict()
