"""Step-level curves: each training value's mean over every K steps of an epoch (``step_window``).

Read-only on the losses and free of per-step device syncs: the epoch loop already keeps running sums
(new tensors each step), so a mark keeps references to the sums and counts at every K-th
step; the window means are their differences, converted to floats once at the end of the epoch (one
transfer per value name). A window without the value (``g_loss`` on critic-only steps) is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch

from cgan_tui.run_config import AUTO_LOG_EVERY, AUTO_POINTS


def step_window(log_every: int | str, steps: int) -> int:
    """K, the steps per recorded point, for an epoch of ``steps`` steps: ``log_every`` itself when it
    is a number (0: none recorded), and for ``auto`` ``ceil(steps / AUTO_POINTS)``:
    at most 50 points an epoch, every step of a short one."""
    if log_every == AUTO_LOG_EVERY:
        return max(1, math.ceil(steps / AUTO_POINTS))
    return int(log_every)


@dataclass(frozen=True)
class StepCurves:
    """One epoch's curves: name -> window means; window ``i`` ends at ``min((i + 1) * every, steps)``."""

    values: Mapping[str, Sequence[float]]
    every: int
    steps: int


@dataclass
class StepMarks:
    """Collects the marks of one epoch of ``steps`` steps; ``every`` 0 records nothing."""

    every: int
    steps: int
    _sums: list[dict[str, torch.Tensor]] = field(default_factory=list)
    _counts: list[dict[str, int]] = field(default_factory=list)

    def after_step(self, done: int, sums: Mapping[str, torch.Tensor], counts: Mapping[str, int]) -> None:
        """Called after step ``done`` (1-based) with the loop's running sums: a mark every ``every``
        steps and at the epoch's last step (references only: the loop replaces, never mutates, a sum)."""
        if self.every > 0 and (done % self.every == 0 or done == self.steps):
            self._sums.append(dict(sums))
            self._counts.append(dict(counts))

    def curves(self) -> StepCurves:
        if not self._sums:
            return StepCurves({}, self.every, self.steps)
        names = list(dict.fromkeys(name for marks in self._sums for name in marks))
        values: dict[str, list[float]] = {}
        for name in names:
            zero = next(m[name] for m in self._sums if name in m).new_zeros(())
            cumulative = torch.stack([m.get(name, zero) for m in self._sums]).double().tolist()
            counts = [c.get(name, 0) for c in self._counts]
            out, prev_sum, prev_count = [], 0.0, 0
            for total, count in zip(cumulative, counts, strict=True):
                n = count - prev_count
                out.append((total - prev_sum) / n if n else float("nan"))
                prev_sum, prev_count = total, count
            values[name] = out
        return StepCurves(values, self.every, self.steps)
