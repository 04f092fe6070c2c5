# fcos_voc_224 whose ranks each write a digest of their final weights
# (lodaa_testing.hooks), for the multi-node and SLURM tests.
_base_ = '../../../configs/fcos_voc_224.py'

custom_imports = dict(
    imports=[
        'lodaa_plugin', 'lodaa_plugin.compat.enable',
        'lodaa_plugin.compat.enable_hints', 'lodaa_testing.hooks'
    ],
    allow_failed_imports=False)
custom_hooks = [
    dict(type='NumClassesCheckHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='PreemptionHook'),
    dict(type='WeightsDigestHook')
]
