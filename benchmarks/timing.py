"""Rounds, medians and spreads; calling a WSGI app in a loop.

Every figure of the benchmark is the median over several rounds measured after a warm-up,
shown with its spread (the lowest and highest round). Ratios are taken round by round (the
subjects of one round run one after the other, in an order that rotates between rounds) so
that a slow moment of the machine weighs on both sides of a ratio.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Figure", "WsgiCall", "figure", "ratio_figure", "rounds_of"]


@dataclass(frozen=True)
class Figure:
    """A median over rounds, with the lowest and highest round."""

    median: float
    low: float
    high: float
    rounds: int

    def as_dict(self) -> dict[str, float | int]:
        return {"median": self.median, "low": self.low, "high": self.high, "rounds": self.rounds}


def figure(values: Sequence[float]) -> Figure:
    return Figure(statistics.median(values), min(values), max(values), len(values))


def ratio_figure(top: Sequence[float], bottom: Sequence[float]) -> Figure:
    """The round-by-round ratios of two series measured in the same rounds."""
    return figure([a / b for a, b in zip(top, bottom, strict=True)])


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    _start_response.status = status  # type: ignore[attr-defined]


class WsgiCall:
    """One prepared request to a WSGI app: ``call()`` runs it as a server would (a fresh
    copy of the environ, the body iterated and closed) and returns the body."""

    def __init__(self, app: Callable[..., Iterable[bytes]], environ: Mapping[str, Any]) -> None:
        self.app = app
        self.environ = dict(environ)

    def call(self) -> bytes:
        result = self.app(dict(self.environ), _start_response)
        try:
            return b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def loop(self, n: int) -> float:
        """Seconds per request over ``n`` requests."""
        app, environ, start_response = self.app, self.environ, _start_response
        started = time.perf_counter()
        for _ in range(n):
            result = app(dict(environ), start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return (time.perf_counter() - started) / n


def rounds_of(
    subjects: Mapping[str, Callable[[int], float]],
    *,
    rounds: int,
    batch_seconds: float,
    warmup_seconds: float,
) -> dict[str, list[float]]:
    """Seconds per operation of each subject, one value per round.

    ``subjects[name](n)`` runs ``n`` operations and returns the seconds per operation. Each
    subject is warmed up and calibrated first (the batch size that takes about
    ``batch_seconds``); then every round runs each subject's batch once, in rotating order.
    """
    sizes: dict[str, int] = {}
    for name, run in subjects.items():
        n, spent = 10, 0.0
        while spent < warmup_seconds:
            per_op = run(n)
            spent += per_op * n
            n = min(n * 2, 100_000)
        sizes[name] = max(20, int(batch_seconds / max(per_op, 1e-9)))
    results: dict[str, list[float]] = {name: [] for name in subjects}
    names = list(subjects)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            gc.collect()
            results[name].append(subjects[name](sizes[name]))
    return results
