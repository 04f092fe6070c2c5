# Runtime settings every LODAA config shares, detection and classification.
custom_imports = dict(imports=['lodaa_plugin'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'))

custom_hooks = [
    dict(type='NumClassesCheckHook'),
    # stops with the iteration and the loss part that went NaN / inf
    dict(type='NonFiniteLossHook')
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl on GPUs; lodaa_plugin switches to gloo when there is no GPU.
    dist_cfg=dict(backend='nccl'))

log_level = 'INFO'
load_from = None
resume = False
