"""Timing and memory helpers shared by the benchmark scripts."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import psutil


class PeakRSS:
    """Sample the process's resident memory in a thread; report the peak above the baseline."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._process = psutil.Process(os.getpid())

    def __enter__(self) -> PeakRSS:
        gc.collect()
        self.baseline = self._process.memory_info().rss
        self.peak = self.baseline
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def peak_above_baseline_mb(self) -> float:
        return (self.peak - self.baseline) / 2**20


def parse_size_and_repeat(size: str, default: int, repeat: int) -> argparse.Namespace:
    """The command line ``--<size> N --repeat R`` (integers; ``default``, ``repeat`` if absent)."""
    parser = argparse.ArgumentParser()
    parser.add_argument(f"--{size}", type=int, default=default)
    parser.add_argument("--repeat", type=int, default=repeat)
    return parser.parse_args()


def measure(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """Median wall time over ``repeat`` runs, peak extra RSS (MiB) of one run, and its result."""
    times = []
    result = None
    with PeakRSS() as mem:
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    for _ in range(repeat - 1):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), mem.peak_above_baseline_mb, result


def traced(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall time of one call of ``fn``, its peak traced Python allocation (MiB), its result."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return seconds, peak, result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    mem = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def print_table(rows: list[dict[str, Any]]) -> None:
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(
            "| "
            + " | ".join(str(r[h]).ljust(w) for h, w in zip(headers, widths, strict=True))
            + " |"
        )


def print_markdown_table(rows: list[dict[str, Any]], right: set[str] | frozenset[str]) -> None:
    """Like :func:`print_table`, with the columns in ``right`` right-aligned (``---:``)."""
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    rule = (
        "-" * (w + 1) + ":" if h in right else "-" * (w + 2)
        for h, w in zip(headers, widths, strict=True)
    )
    print("|" + "|".join(rule) + "|")
    for r in rows:
        cells = (
            str(r[h]).rjust(w) if h in right else str(r[h]).ljust(w)
            for h, w in zip(headers, widths, strict=True)
        )
        print("| " + " | ".join(cells) + " |")
