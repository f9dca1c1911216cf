"""torch's Adam and AdamW without the torch.compile graph-break wrappers around their methods.

``Optimizer.step``/``zero_grad``/``state_dict``/... are wrapped so that ``torch.compile`` breaks its
graph there; the wrappers import ``torch._dynamo`` on first call, which costs as much CPU as importing
torch itself (2.6 s on the project's 2-core AVX2 EPYC) in every worker and ``train`` process. We never
compile the optimizer, so these classes call the undecorated methods: same arithmetic (the step runs
under ``no_grad`` exactly as the wrapper does for ``differentiable=False``), same state dicts, bit-exact
with torch's classes (tests/engine/test_optim.py). Where torch stops wrapping a method, the method is used
as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

_UNWRAPPED = ("zero_grad", "add_param_group", "state_dict", "load_state_dict")
OptimizerClass = TypeVar("OptimizerClass", bound=type[torch.optim.Optimizer])


def _undecorated(fn: Callable) -> Callable:
    return getattr(fn, "__wrapped__", fn)


def without_compile_wrappers(base: OptimizerClass) -> OptimizerClass:
    """A subclass of ``base`` whose step and bookkeeping methods skip torch.compile's wrappers."""
    raw_step = _undecorated(base.step)

    def step(self, closure=None):
        with torch.no_grad():
            return raw_step(self, closure)

    namespace = {name: _undecorated(getattr(base, name)) for name in _UNWRAPPED}
    namespace.update(step=step, __doc__=base.__doc__, __module__=__name__, __qualname__=base.__name__)
    return type(base.__name__, (base,), namespace)  # type: ignore[return-value]


Adam = without_compile_wrappers(torch.optim.Adam)
AdamW = without_compile_wrappers(torch.optim.AdamW)
