"""Benchmark: the whole pipeline on large tables, in memory and on a local Dask cluster.

transactions -> customer summary (weeks) -> BG/NBD fit -> Gamma-Gamma fit (repeat buyers) ->
12-month CLV -> RFM segments -> lifecycle stages, for each ``--customers`` size, printing the
wall time and peak memory of every stage and the key results (so runs can be checked).

Data: ``make_transactions`` called once per partition (``--partitions``, default one per
250,000 customers), each with its own seed (``numpy.random.default_rng([seed, i])``) and its
customer ids shifted past the previous partitions', so ids never collide. On Dask the
partitions are generated inside the workers (``dask.dataframe.from_map``) and the transactions
never reach this process; in memory the same per-partition frames are concatenated, so both
engines see exactly the same data and ``--engine both`` checks that they agree.

Memory. In memory: peak resident memory of this process above its level at the start of the
stage (sampled every 5 ms). On Dask: the same for this (client) process, plus the peak
resident memory of each worker process during the stage (sampled every 10 ms inside the
workers; absolute, so it includes the data the workers hold from earlier stages).

Run (from the repository root)::

    python benchmarks/bench_pipeline.py --customers 1000000 --engine both
    python benchmarks/bench_pipeline.py --customers 10000000 --engine dask

The machine may be shared with other jobs: times are pessimistic and vary between runs.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import functools
import gc
import logging
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import PeakRSS, machine, print_table

import customer_models as cm

OBSERVATION_END = pd.Timestamp("2025-12-31")  # make_transactions' default end
RFM_INPUTS = ["frequency", "recency", "T", "monetary_value"]


# --------------------------------------------------------------------------- data
def partition_sizes(n_customers: int, n_partitions: int) -> list[int]:
    base, extra = divmod(n_customers, n_partitions)
    return [base + (i < extra) for i in range(n_partitions)]


Spec = tuple[int, int, int, int]


def make_partition(spec: Spec) -> pd.DataFrame:
    """Transactions of one partition: ``(index, n_customers, id_offset, seed)``."""
    index, n_customers, id_offset, seed = spec
    tx = cm.make_transactions(n_customers, random_state=np.random.default_rng([seed, index]))
    tx["customer_id"] += id_offset
    return tx


def make_indexed_partition(spec: Spec) -> pd.DataFrame:
    """The same partition indexed by customer id (sorted: make_transactions sorts by customer)."""
    return make_partition(spec).set_index("customer_id")


def id_divisions(specs: list[Spec]) -> tuple[int, ...]:
    """Dask divisions of the partitions' customer id ranges (ids 1..n shifted by the offset)."""
    starts = [offset + 1 for _, _, offset, _ in specs]
    _, n_last, offset_last, _ = specs[-1]
    return (*starts, offset_last + n_last)


def partition_specs(n_customers: int, n_partitions: int, seed: int) -> list[Spec]:
    sizes = partition_sizes(n_customers, n_partitions)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return [(i, n, int(off), seed) for i, (n, off) in enumerate(zip(sizes, offsets, strict=True))]


# --------------------------------------------------------------------------- scoring
def clv_of(bgnbd: Any, gamma_gamma: Any) -> Callable[[pd.DataFrame], pd.Series]:
    # 12 months, 1% per month, discrete discounting
    return functools.partial(
        cm.customer_lifetime_value,
        bgnbd,
        gamma_gamma,
        horizon=12,
        time_unit="M",
        discount_rate=0.01,
    )


def lifecycle() -> cm.LifecycleStageClassifier:
    # Dask frames carry no attrs: the time unit is given explicitly on both engines.
    return cm.LifecycleStageClassifier(time_unit="W")


def params(model: Any) -> dict[str, float]:
    return {k: float(v) for k, v in model.params_.items()}


def rfm_fit_frame(counts: dict[str, pd.Series]) -> pd.DataFrame:
    """A frame with the same per-feature distributions as the summary, from value counts.

    RFM score edges are per-feature (tie-aware quantiles of frequency, of the time since the
    last purchase ``T - recency`` and of monetary value), so a frame whose columns have the
    summary's marginal distributions gives exactly the same edges: each column is its
    feature's sorted values, with ``recency = 0`` and ``T`` = time since the last purchase.
    """

    def expand(name: str) -> np.ndarray:
        vc = counts[name].sort_index()
        return np.repeat(vc.index.to_numpy(dtype=np.float64), vc.to_numpy())

    silence = expand("silence")
    return pd.DataFrame(
        {
            "frequency": expand("frequency"),
            "recency": np.zeros(silence.size),
            "T": silence,
            "monetary_value": expand("monetary_value"),
        }
    )


# --------------------------------------------------------------------------- timing
def trim_memory() -> None:
    """Collect garbage and hand freed heap memory back to the OS, so a stage starts clean."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Stages:
    """Collect one table row per stage: wall time and peak memory."""

    def __init__(self, workers: Any = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.workers = workers  # a WorkerMemory on Dask

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        trim_memory()
        if self.workers is not None:
            self.workers.reset()
        with PeakRSS() as mem:
            start = time.perf_counter()
            yield
            seconds = time.perf_counter() - start
        row: dict[str, Any] = {"stage": name, "seconds": f"{seconds:.2f}"}
        prefix = "" if self.workers is None else "client "
        row[f"{prefix}peak MiB above start"] = f"{mem.peak_above_baseline_mb:.0f}"
        row[f"{prefix}peak RSS MiB"] = f"{mem.peak / 2**20:.0f}"
        if self.workers is not None:
            peaks = self.workers.peaks()
            row["worker peak RSS MiB (max)"] = f"{max(peaks):.0f}"
            row["workers peak RSS MiB (sum)"] = f"{sum(peaks):.0f}"
        self.rows.append(row)
        print(f"  {name}: {seconds:.2f} s", flush=True)

    def total(self) -> None:
        total = sum(float(r["seconds"]) for r in self.rows)
        blank = dict.fromkeys(self.rows[0], "")
        self.rows.append(blank | {"stage": "total", "seconds": f"{total:.2f}"})


# --------------------------------------------------------------------------- in memory
def run_memory(specs: list[Spec]) -> tuple[Stages, dict[str, Any], dict[str, Any]]:
    st = Stages()
    with st.stage("generate transactions"):
        tx = pd.concat([make_partition(s) for s in specs], ignore_index=True)
    n_transactions = len(tx)
    with st.stage("summary (weeks)"):
        summary = cm.rfm_summary(
            tx, value_col="amount", time_unit="W", observation_end=OBSERVATION_END
        )
    del tx
    with st.stage("BG/NBD fit"):
        bgnbd = cm.BetaGeoModel(time_unit="W").fit(summary)
    with st.stage("Gamma-Gamma fit (repeat buyers)"):
        repeat = summary[summary["frequency"] > 0]
        gamma_gamma = cm.GammaGammaModel(time_unit="W").fit(repeat)
        n_repeat = len(repeat)
        del repeat
    with st.stage("CLV, 12 months"):
        clv = clv_of(bgnbd, gamma_gamma)(summary)
        total_clv = float(clv.sum())
    with st.stage("RFM segments"):
        rfm_inputs = summary[RFM_INPUTS]
        segments = cm.RFMSegmenter().fit(rfm_inputs).assign(rfm_inputs)
        del rfm_inputs
        segment_counts = segments.value_counts(sort=False)
    with st.stage("lifecycle stages"):
        stages = lifecycle().fit(summary).assign(summary)
        stage_counts = stages.value_counts(sort=False)
    st.total()
    results = {
        "customers": len(summary),
        "transactions": n_transactions,
        "repeat buyers": n_repeat,
        "BG/NBD": params(bgnbd),
        "Gamma-Gamma": params(gamma_gamma),
        "total CLV": total_clv,
        "segments": segment_counts,
        "stages": stage_counts,
    }
    detail = {"summary": summary, "clv": clv, "segments": segments, "stages": stages}
    return st, results, detail


# --------------------------------------------------------------------------- Dask
def _start_sampler(dask_worker: Any) -> int:
    """Start (once) a thread in the worker process that tracks its peak resident memory."""
    import os
    import threading
    import time

    import psutil

    state = getattr(dask_worker, "_bench_memory", None)
    if state is None:
        process = psutil.Process(os.getpid())
        state = {"process": process, "peak": process.memory_info().rss}

        def sample() -> None:
            while True:
                state["peak"] = max(state["peak"], process.memory_info().rss)
                time.sleep(0.01)

        threading.Thread(target=sample, daemon=True).start()
        dask_worker._bench_memory = state
    return int(state["peak"])


def _reset_peak(dask_worker: Any) -> int:
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    state = dask_worker._bench_memory
    state["peak"] = state["process"].memory_info().rss
    return int(state["peak"])


def _read_peak(dask_worker: Any) -> int:
    state = dask_worker._bench_memory
    return int(max(state["peak"], state["process"].memory_info().rss))


class WorkerMemory:
    def __init__(self, client: Any) -> None:
        self.client = client
        client.run(_start_sampler)

    def reset(self) -> None:
        self.client.run(_reset_peak)

    def current(self) -> list[float]:
        return [v / 2**20 for v in self.client.run(_reset_peak).values()]

    def peaks(self) -> list[float]:
        return [v / 2**20 for v in self.client.run(_read_peak).values()]


def _warm_up() -> str | None:
    import os

    import customer_models  # noqa: F401  (imports pandas, numpy, scipy, sklearn)

    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def run_dask(
    specs: list[Spec], client: Any, keep_detail: bool, indexed: bool = False
) -> tuple[Stages, dict[str, Any], dict[str, Any]]:
    import dask.dataframe as dd
    from distributed import wait

    from customer_models import dask as cmd

    workers = WorkerMemory(client)
    st = Stages(workers)
    if indexed:  # customer-id index with known divisions: rfm_summary needs no shuffle
        generate, divisions = make_indexed_partition, id_divisions(specs)
    else:
        generate, divisions = make_partition, None
    meta = generate((0, 10, 0, 0)).iloc[:0]
    with st.stage("generate transactions"):
        tx = client.persist(dd.from_map(generate, specs, meta=meta, divisions=divisions))
        wait(tx)
        n_transactions = int(tx.shape[0].compute())
    with st.stage("summary (weeks)"):
        summary = client.persist(
            cmd.rfm_summary(tx, value_col="amount", time_unit="W", observation_end=OBSERVATION_END)
        )
        wait(summary)
    del tx  # releases the transactions on the workers
    with st.stage("BG/NBD fit"):
        bgnbd = cmd.fit_model(cm.BetaGeoModel(time_unit="W"), summary)
    with st.stage("Gamma-Gamma fit (repeat buyers)"):
        repeat = summary[summary["frequency"] > 0]
        gamma_gamma = cmd.fit_model(cm.GammaGammaModel(time_unit="W"), repeat)
        n_repeat = int(repeat.shape[0].compute())
    with st.stage("CLV, 12 months"):
        clv = cmd.map_customers(summary, clv_of(bgnbd, gamma_gamma))
        total_clv = float(clv.sum().compute())
    with st.stage("RFM segments"):
        # Score edges are population quantiles: value counts of each feature are computed in
        # the cluster; the segmenter is fitted here on a frame with the same distributions.
        silence = (summary["T"] - summary["recency"]).rename("silence")
        counts = dict(
            zip(
                ["frequency", "silence", "monetary_value"],
                client.compute(
                    [
                        summary["frequency"].value_counts(),
                        silence.value_counts(),
                        summary["monetary_value"].value_counts(),
                    ],
                    sync=True,
                ),
                strict=True,
            )
        )
        segmenter = cm.RFMSegmenter().fit(rfm_fit_frame(counts))
        del counts
        # labels_ are the codes of the synthetic fit frame (8 bytes per customer): scoring
        # does not use them, and they would be shipped to the workers with the segmenter.
        del segmenter.labels_
        segments = cmd.map_customers(summary[RFM_INPUTS], segmenter.assign)
        segment_counts = segments.value_counts().compute()
    with st.stage("lifecycle stages"):
        classifier = lifecycle().fit(summary.head(1000))  # "absolute" mode keeps no data
        stages = cmd.map_customers(summary, classifier.assign)
        stage_counts = stages.value_counts().compute()
    st.total()
    results = {
        "customers": int(summary.shape[0].compute()),
        "transactions": n_transactions,
        "repeat buyers": n_repeat,
        "BG/NBD": params(bgnbd),
        "Gamma-Gamma": params(gamma_gamma),
        "total CLV": total_clv,
        "segments": segment_counts.reindex(segmenter.segments_),
        "stages": stage_counts.sort_index(),
    }
    detail: dict[str, Any] = {}
    if keep_detail:  # not timed: per-customer results for the comparison
        detail = {
            "summary": summary.compute().sort_index(),
            "clv": clv.compute().sort_index(),
            "segments": segments.compute().sort_index(),
            "stages": stages.compute().sort_index(),
        }
    return st, results, detail


# --------------------------------------------------------------------------- report
def _fmt_params(p: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in p.items())


def print_results(results: dict[str, Any]) -> None:
    print(
        f"\n{results['customers']:,} customers, {results['transactions']:,} transactions, "
        f"{results['repeat buyers']:,} repeat buyers"
    )
    print(f"BG/NBD (weeks): {_fmt_params(results['BG/NBD'])}")
    print(f"Gamma-Gamma: {_fmt_params(results['Gamma-Gamma'])}")
    print(f"total 12-month CLV: {results['total CLV']:,.2f}")
    print("RFM segments: " + ", ".join(f"{k} {v:,}" for k, v in results["segments"].items()))
    print("lifecycle stages: " + ", ".join(f"{k} {v:,}" for k, v in results["stages"].items()))


def compare(mem: dict[str, Any], dsk: dict[str, Any], mem_d: dict, dsk_d: dict) -> bool:
    checks: list[tuple[str, bool, str]] = []
    for key in ("customers", "transactions", "repeat buyers"):
        checks.append((key, mem[key] == dsk[key], f"{mem[key]:,} vs {dsk[key]:,}"))
    for key in ("BG/NBD", "Gamma-Gamma"):
        a = np.array(list(mem[key].values()))
        b = np.array(list(dsk[key].values()))
        rel = float(np.max(np.abs(a - b) / np.abs(a)))
        checks.append((f"{key} params (rel 1e-6)", rel <= 1e-6, f"max rel diff {rel:.1e}"))
    rel = abs(mem["total CLV"] - dsk["total CLV"]) / abs(mem["total CLV"])
    checks.append(("total CLV (rel 1e-6)", rel <= 1e-6, f"rel diff {rel:.1e}"))
    for key in ("segments", "stages"):
        same = mem[key].astype(int).to_dict() == dsk[key].astype(int).to_dict()
        checks.append((f"{key} counts", same, "equal" if same else "differ"))
    if dsk_d:
        try:
            pd.testing.assert_frame_equal(dsk_d["summary"], mem_d["summary"], check_freq=False)
            same, note = True, "identical"
        except AssertionError as err:
            same, note = False, str(err).splitlines()[0]
        checks.append(("summary, per customer", same, note))
        a, b = mem_d["clv"].to_numpy(), dsk_d["clv"].to_numpy()
        same_index = mem_d["clv"].index.equals(dsk_d["clv"].index)
        rel = float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-12)))
        checks.append(("CLV, per customer (rel 1e-6)", same_index and rel <= 1e-6, f"{rel:.1e}"))
        for key in ("segments", "stages"):
            n_diff = int((mem_d[key].astype(str) != dsk_d[key].astype(str)).sum())
            same_index = mem_d[key].index.equals(dsk_d[key].index)
            checks.append((f"{key}, per customer", same_index and n_diff == 0, f"{n_diff} differ"))
    print("\nDask vs in-memory:")
    print_table([{"check": c, "agree": "yes" if ok else "NO", "detail": d} for c, ok, d in checks])
    return all(ok for _, ok, _ in checks)


def _revision() -> str:
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src"], cwd=root, capture_output=True, text=True
        ).stdout.split("\n")
    except OSError:
        return "unknown"
    changed = [line[3:] for line in dirty if line.strip()]
    return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def _source() -> str:
    package = Path(cm.__file__).resolve().parent
    repository = Path(__file__).resolve().parents[1]
    if package.is_relative_to(repository / "src"):
        return f"this repository's src (git {_revision()})"
    return f"{package} (not this repository's src)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--engine", choices=["memory", "dask", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GiB", help="per Dask worker")
    parser.add_argument(
        "--partitions", type=int, default=None, help="default: one per 250,000 customers"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--glibc-malloc",
        action="store_true",
        help="start the workers without distributed's MALLOC_TRIM_THRESHOLD_=65536 "
        "(glibc's adaptive default instead; see the README)",
    )
    parser.add_argument(
        "--indexed",
        action="store_true",
        help="Dask: generate partitions indexed by customer id with known divisions, so the "
        "summary needs no shuffle",
    )
    args = parser.parse_args()

    import dask
    import distributed

    if args.glibc_malloc:
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})

    print(f"machine: {machine()}")
    print(
        f"customer_models {cm.__version__} from {_source()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}, dask {dask.__version__}, distributed {distributed.__version__}"
    )
    print("note: the machine may be shared with other jobs; times may be affected.")
    agree = True
    for n_customers in args.customers:
        n_partitions = args.partitions or max(1, round(n_customers / 250_000))
        specs = partition_specs(n_customers, n_partitions, args.seed)
        print(
            f"\n## {n_customers:,} customers, {n_partitions} partitions, seed {args.seed}",
            flush=True,
        )
        mem_res = mem_detail = None
        if args.engine in ("memory", "both"):
            print("\n### in memory", flush=True)
            st, mem_res, mem_detail = run_memory(specs)
            print()
            print_table(st.rows)
            print_results(mem_res)
        if args.engine in ("dask", "both"):
            from distributed import Client, LocalCluster

            print(
                f"\n### Dask: LocalCluster, {args.workers} workers x 1 thread, "
                f"memory_limit {args.memory_limit} per worker, MALLOC_TRIM_THRESHOLD_ "
                + ("unset (glibc default)" if args.glibc_malloc else "65536 (distributed default)"),
                flush=True,
            )
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                cluster = LocalCluster(
                    n_workers=args.workers,
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=args.memory_limit,
                    dashboard_address=None,
                    local_directory=tmp,
                    silence_logs=logging.ERROR,
                )
                with Client(cluster) as client:
                    trim = set(client.run(_warm_up).values())
                    started = time.perf_counter() - start
                    baseline = WorkerMemory(client).current()
                    print(
                        f"  cluster start + imports: {started:.1f} s; worker RSS at start: "
                        + ", ".join(f"{b:.0f}" for b in baseline)
                        + f" MiB; workers' MALLOC_TRIM_THRESHOLD_: {', '.join(map(str, trim))}",
                        flush=True,
                    )
                    st, dsk_res, dsk_detail = run_dask(
                        specs, client, keep_detail=args.engine == "both", indexed=args.indexed
                    )
                cluster.close()
            print()
            print_table(st.rows)
            print_results(dsk_res)
            if mem_res is not None:
                agree &= compare(mem_res, dsk_res, mem_detail or {}, dsk_detail)
        del mem_detail
    if args.engine == "both":
        print(f"\nDask and in-memory results agree: {'yes' if agree else 'NO'}")
    raise SystemExit(0 if agree else 1)


if __name__ == "__main__":
    main()
