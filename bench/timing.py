"""A measured rate: how many operations in how many seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    label: str
    operations: int
    seconds: float
    processes: int = 1

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else float("inf")

    def compared_with(self, reference: Rate) -> float:
        """This rate as a fraction of `reference` (e.g. 0.03 × raw Ed25519 sign)."""
        return self.per_second / reference.per_second

    def __str__(self) -> str:
        return f"{self.label}: {per_second(self.per_second)}"


def timed(label: str, operations: int, run: Callable[[], object]) -> Rate:
    """Run `run` (which performs `operations` operations) once and time it."""
    start = time.perf_counter()
    run()
    return Rate(label, operations, time.perf_counter() - start)


def per_second(value: float) -> str:
    return f"{value:,.0f}/s"


def ratio(value: float) -> str:
    """A ratio with two significant digits: 0.025, 0.78, 1.9."""
    if value >= 10:
        return f"{value:,.0f}"
    return f"{value:.2g}"
