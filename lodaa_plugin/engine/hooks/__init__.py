# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .ema_resume_check_hook import EMAResumeCheckHook
from .non_finite_loss_hook import NonFiniteLossHook
from .num_classes_check_hook import NumClassesCheckHook
from .preemption_hook import (INTERRUPTED_EXIT_CODE, PREEMPTED_EXIT_CODE,
                              PreemptionHook, listen_for_preemption,
                              release_unhooked_signals)
from .progress_hook import ProgressHook

__all__ = [
    'AtomicCheckpointHook', 'EMAResumeCheckHook', 'NonFiniteLossHook',
    'NumClassesCheckHook', 'INTERRUPTED_EXIT_CODE', 'PREEMPTED_EXIT_CODE',
    'PreemptionHook', 'ProgressHook', 'listen_for_preemption',
    'release_unhooked_signals'
]
