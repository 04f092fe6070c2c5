# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .non_finite_loss_hook import NonFiniteLossHook
from .num_classes_check_hook import NumClassesCheckHook
from .preemption_hook import (PREEMPTED_EXIT_CODE, PreemptionHook,
                              listen_for_preemption)

__all__ = [
    'AtomicCheckpointHook', 'NonFiniteLossHook', 'NumClassesCheckHook',
    'PREEMPTED_EXIT_CODE', 'PreemptionHook', 'listen_for_preemption'
]
