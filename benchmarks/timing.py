"""Interleaved timing: every implementation of a workload is sampled in
round-robin order, so machine noise (other processes, frequency changes,
cache pollution) lands on all of them alike and ratios stay meaningful even
on a busy machine.

Procedure for one workload:

1. ``calibrate`` each implementation (after its warm-up call, done by the
   caller): pick an inner loop count ``number`` so that one sample (``number``
   back-to-back calls) takes about ``target`` seconds.
2. ``interleaved`` runs ``repeats`` rounds; in each round every
   implementation takes one sample, in an order shuffled afresh every round
   (seeded, so runs are reproducible). Shuffling rather than rotating matters:
   with a fixed cyclic order the same implementation always follows the same
   neighbour and inherits its after-effects (e.g. OpenMP threads of torch
   still spinning, caches full of its data). A sample's value is its elapsed time / ``number``.
3. The statistic reported is the median of the samples (and the quartiles as
   a spread indication).

Garbage collection stays enabled while timing: collecting the cyclic garbage
a library leaves behind is part of its cost. A ``gc.collect()`` before every
sample keeps one implementation's garbage from being charged to the next.
The runner calls ``gc.freeze()`` after importing the peers (torch and jax
create millions of long-lived objects), so that collections, automatic or
explicit, do not keep traversing them: otherwise every full collection costs
~0.4 s and lands on whichever implementation happens to trigger it.
``run.py --big-heap`` measures exactly that setting on purpose: a heap of
two million small objects, left out of the freeze, as in a real session with
large libraries or data loaded, where a library that triggers full
collections pays for walking it.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]
CLOCKS: dict[str, Clock] = {
    # wall time: what a user waits for (default)
    "wall": time.perf_counter,
    # CPU time of the whole process (all threads): immune to being preempted by
    # other processes on a shared machine, but counts spinning helper threads
    "cpu": time.process_time,
}


@dataclass
class Stats:
    """Per-call times (seconds) of one implementation."""

    number: int  # calls per sample
    samples: list[float] = field(default_factory=list)  # seconds per call

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def q1(self) -> float:
        return _quantile(self.samples, 0.25)

    @property
    def q3(self) -> float:
        return _quantile(self.samples, 0.75)

    def as_dict(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "q1_s": self.q1,
            "q3_s": self.q3,
            "number": self.number,
            "repeats": len(self.samples),
            "samples_s": list(self.samples),
        }


def _quantile(xs: list[float], q: float) -> float:
    if not xs:
        return math.nan
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def time_once(fn: Callable[[], Any], clock: Clock = time.perf_counter) -> float:
    """Time of one call (seconds)."""
    t0 = clock()
    fn()
    return clock() - t0


def _run(fn: Callable[[], Any], number: int, clock: Clock) -> float:
    t0 = clock()
    for _ in range(number):
        fn()
    return clock() - t0


def calibrate(
    fn: Callable[[], Any],
    target: float,
    max_number: int = 1_000_000,
    clock: Clock = time.perf_counter,
) -> tuple[int, float | None]:
    """Inner loop count so that ``number`` calls take about ``target`` seconds.

    Doubles the count until a batch takes at least a fifth of the target,
    then extrapolates (like ``timeit.Timer.autorange``, but aiming at a time).
    Returns ``(number, first)``: ``first`` is the time of the first single
    call when that call alone reached the target (so ``number == 1`` and the
    call is a valid sample, which spares slow implementations one call).
    """
    number = 1
    while True:
        elapsed = _run(fn, number, clock)
        if number == 1 and elapsed >= target:
            return 1, elapsed
        if elapsed >= target / 5 or number >= max_number:
            return max(1, min(max_number, round(number * target / max(elapsed, 1e-9)))), None
        number *= min(10, max(2, math.ceil(target / 5 / max(elapsed, 1e-9))))


def interleaved(
    fns: Mapping[str, Callable[[], Any]],
    repeats: int,
    target: float,
    max_seconds_per_impl: float = math.inf,
    min_repeats: int = 3,
    seed: int = 0,
    clock: Clock = time.perf_counter,
    collect_generation: int = 2,
) -> dict[str, Stats]:
    """Median-ready samples of every function, taken round-robin.

    ``fns`` must already have been warmed up. An implementation whose samples
    are slow gets fewer rounds once it has used ``max_seconds_per_impl`` of
    time: at least ``min_repeats``, or 2 when a single call takes longer
    than ``max_seconds_per_impl`` (jax's eager W6, seconds per call), so one
    slow peer cannot blow the time budget of the whole suite.
    ``collect_generation``: the generations collected before each sample (2:
    all; the runner's ``--big-heap`` mode collects only the young ones, so
    the full collections the heap makes expensive fall where they happen).
    """
    names = list(fns)
    stats: dict[str, Stats] = {}
    spent = dict.fromkeys(names, 0.0)
    for name in names:
        number, first = calibrate(fns[name], target, clock=clock)
        stats[name] = Stats(number)
        if first is not None:
            stats[name].samples.append(first)
            spent[name] += first
    rng = random.Random(seed)
    for _ in range(repeats):
        order = list(names)
        rng.shuffle(order)
        for name in order:
            st = stats[name]
            if spent[name] >= max_seconds_per_impl:
                very_slow = st.samples and min(st.samples) > max_seconds_per_impl
                if len(st.samples) >= (min(2, min_repeats) if very_slow else min_repeats):
                    continue
            gc.collect(collect_generation)
            elapsed = _run(fns[name], st.number, clock)
            spent[name] += elapsed
            st.samples.append(elapsed / st.number)
    return stats
