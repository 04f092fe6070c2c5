# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""CPUAmpOptimWrapper: bf16 autocast trains on the CPU, fp16 is refused."""
import pytest
import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper, build_optim_wrapper

from lodaa_plugin.compat import CPUAmpOptimWrapper, cpu_has_native_bf16

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available(), reason='checks the CPU-only behaviour')


def test_bf16_step_runs_in_bf16_and_updates_fp32_weights():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 1))
    # mmengine's own wrapper asserts a GPU: the breakage is real
    with pytest.raises(AssertionError, match='only available training'):
        AmpOptimWrapper(
            dtype='bfloat16',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    # a config selects the registered one
    wrapper = build_optim_wrapper(
        model,
        dict(
            type='CPUAmpOptimWrapper',
            dtype='bfloat16',
            optimizer=dict(type='SGD', lr=0.1),
            clip_grad=dict(max_norm=10)))
    assert type(wrapper) is CPUAmpOptimWrapper
    seen = []
    model[0].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    before = model[0].weight.detach().clone()
    with wrapper.optim_context(model):
        loss = model(torch.randn(2, 3, 8, 8)).square().mean()
    wrapper.update_params(loss)
    assert seen == [torch.bfloat16]
    assert torch.isfinite(loss)
    assert model[0].weight.dtype == torch.float32
    assert not torch.equal(before, model[0].weight)
    # a checkpoint round trip (resume) with the disabled loss scaler
    state = wrapper.state_dict()
    again = CPUAmpOptimWrapper(
        dtype='bfloat16',
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    again.load_state_dict(state)


def test_fp16_on_the_cpu_names_the_way_out():
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match='--amp-dtype bfloat16'):
        CPUAmpOptimWrapper(
            dtype='float16',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_native_bf16_is_read_from_the_cpu_flags(monkeypatch, tmp_path):
    import builtins
    cpuinfo = tmp_path / 'cpuinfo'
    real_open = builtins.open

    def fake_open(path, *args, **kwargs):
        if path == '/proc/cpuinfo':
            return real_open(cpuinfo, *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, 'open', fake_open)
    cpuinfo.write_text('processor: 0\nflags\t\t: fpu avx2 avx512f\n')
    assert cpu_has_native_bf16() is None
    cpuinfo.write_text('flags\t\t: avx2 avx512_bf16 amx_tile amx_bf16\n')
    assert cpu_has_native_bf16() == 'amx_bf16'
    cpuinfo.write_text('flags\t\t: avx2 avx512f avx512_bf16\n')
    assert cpu_has_native_bf16() == 'avx512_bf16'
