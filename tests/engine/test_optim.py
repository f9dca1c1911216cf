"""Our Adam/AdamW skip torch.compile's wrappers (no torch._dynamo import) and stay bit-exact with torch's."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from cgan_tui.gan.optim import Adam, AdamW


def _train(opt_cls, seed: int = 0, **kw) -> tuple[list[torch.Tensor], dict]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt = opt_cls(model.parameters(), **kw)
    for step in range(4):
        if step == 2:  # a checkpoint round trip in the middle, as resume does
            state = opt.state_dict()
            opt = opt_cls(model.parameters(), **kw)
            opt.load_state_dict(state)
        opt.zero_grad()
        model(torch.randn(8, 5)).pow(2).mean().backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()], opt.state_dict()


@pytest.mark.parametrize(("ours", "torchs", "kw"), [
    (Adam, torch.optim.Adam, dict(lr=2e-3, betas=(0.5, 0.999))),
    (AdamW, torch.optim.AdamW, dict(lr=2e-3, weight_decay=5e-4)),
])  # fmt: skip
def test_same_parameters_and_state_as_torch(ours, torchs, kw):
    mine, mine_state = _train(ours, **kw)
    theirs, their_state = _train(torchs, **kw)
    assert all(torch.equal(a, b) for a, b in zip(mine, theirs, strict=True))
    assert mine_state["param_groups"] == their_state["param_groups"]
    for key, slot in their_state["state"].items():
        assert all(torch.equal(mine_state["state"][key][name], value) for name, value in slot.items())


def test_a_training_step_does_not_import_dynamo():
    code = """
import sys, torch
from cgan_tui.gan.optim import Adam, AdamW
model = torch.nn.Linear(3, 2)
for cls in (Adam, AdamW):
    opt = cls(model.parameters())
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=2)
    opt.zero_grad(); model(torch.randn(4, 3)).sum().backward(); opt.step(); sched.step()
    opt.load_state_dict(opt.state_dict())
print("torch._dynamo" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
