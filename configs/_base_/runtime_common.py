# Runtime settings every LODAA config shares, detection and classification.
# lodaa_plugin registers LODAA's modules; compat.enable switches on the fixes
# for today's PyTorch (logged); compat.enable_hints names the closest types
# when a config's type= is unknown.
custom_imports = dict(
    imports=[
        'lodaa_plugin', 'lodaa_plugin.compat.enable',
        'lodaa_plugin.compat.enable_hints'
    ],
    allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'))

custom_hooks = [
    dict(type='NumClassesCheckHook'),
    # stops with the iteration and the loss part that went NaN / inf
    dict(type='NonFiniteLossHook'),
    # SIGTERM / SIGUSR1 (schedulers, spot instances): save, exit 75
    dict(type='PreemptionHook'),
    # --resume of an --ema run without --ema: refused, not silently wrong
    dict(type='EMAResumeCheckHook'),
    # a bar in a terminal, early lines elsewhere, enough points to plot
    dict(type='ProgressHook')
]
# the console starts with the run; the environment, config and hooks are in
# the log file
runner_type = 'LodaaRunner'

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl on GPUs; lodaa_plugin.compat switches to gloo without a GPU.
    dist_cfg=dict(backend='nccl'))

log_level = 'INFO'
load_from = None
resume = False
