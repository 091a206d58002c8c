"""Uncertainty: speed of the predictive distributions and intervals, and their coverage.

Sections (run all, or name some: ``python benchmarks/bench_uncertainty.py speed value``):

``speed``
    ``confidence_interval`` for the 2,357 CDNOW customers x 500 Laplace draws, per model: now
    (distinct histories through the kernels) against the previous algorithm (one model per
    draw through ``from_params`` and the public method on every row; reproduced here by hiding
    the kernels behind a wrapper), and the delta method; the delta interval's coverage of the
    Laplace draws of each customer's expectation.
``big``
    1,000,000 simulated BG/NBD customers at daily resolution in weeks: outcome quantiles and
    P(>=1) (``purchase_distribution``), ``prediction_interval``, and ``confidence_interval``
    (500 Laplace draws; delta), for BG/NBD and Pareto/NBD; the previous algorithm timed on 20
    draws and scaled to 500 (linear in draws).
``value``
    ``value_distribution`` (quantiles 0.05, 0.5, 0.95 of the value of the next 52 weeks) for
    3,000, 100,000 and 1,000,000 simulated BG/NBD + Gamma-Gamma customers (daily resolution,
    each purchase's spend drawn from the model): now against the previous algorithm (a copy
    below: the full pmf per customer, the dense compound CDF at every Newton/bisection step in
    blocks of 512 customers), timed on up to 10,000 customers and scaled linearly beyond.
``extras``
    ``value_distribution(parameter_uncertainty=True)`` (20 and 100 joint Laplace draws of
    BG/NBD and Gamma-Gamma fitted on 20,000 simulated customers) against the fixed-parameter
    distribution on 10,000 and 100,000 customers; BG/BB ``next_purchase_cdf`` and
    ``next_purchase_quantile`` for 1,000,000 simulated customers (with the largest difference
    from ``1 - P(X(n, n+m) = 0)``); ``customer_lifetime_value(start=)`` over months 4-12
    against the value from now for 1,000,000 BG/NBD customers; the process's peak resident
    memory after each.
``coverage``
    Outcome intervals on data simulated from each model (achieved share of simulated holdout
    counts inside the interval, and the model's own mean coverage), and confidence intervals of
    the expectation over refits on simulated data (delta and Laplace).
``window``
    ``purchase_distribution(t=26, start=s)`` (the count of a later window, quantiles 0.05 and
    0.95) for s = 0, 13 and 52 weeks: BG/NBD and MBG/NBD on 12,000 simulated customers with
    distinct T (``tests/valuation/test_predictive.simulate_bg``) and on 1,000,000 at daily
    resolution, Pareto/NBD on the latter; BG/BB (t = 5 opportunities, s = 0, 3, 10) on
    1,000,000 simulated customers.
``value_coverage``
    The 90% value interval ``[q0.05, q0.95]`` of ``value_distribution`` over a 39-week
    holdout, with and without ``parameter_uncertainty``: BG/NBD + Gamma-Gamma refitted on each
    of 10 simulated replications (``tests/valuation/test_value_coverage.value_coverage``), the
    share of simulated holdout values inside against the nominal coverage.

Figures are wall times on whatever machine runs it; tests never assert timings.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln

# the test suite's parameters and simulators (tests/valuation) are the benchmark's
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "valuation"))

from test_predictive import BG, BGBB, HOLDOUT, PNBD, _poisson_times
from test_predictive_value import GG

import customer_models as cm
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)
from customer_models.valuation._clv_distribution import _spend_posterior


def _hidden(model: Any) -> Any:
    """The model seen only through from_params and its public method: the previous path.

    ``confidence_interval`` finds no kernels on it, so it rebuilds one model per draw and
    predicts every row through ``expected_purchases``, which is what it did before.
    """
    kind = type(model)

    class HiddenModel:
        def __init__(self, inner: Any) -> None:
            self.inner = inner
            self.params_ = inner.params_
            self.covariance_ = inner.covariance_
            self.time_unit_ = inner.time_unit_

        @classmethod
        def from_params(cls, *, time_unit: str | None = None, **params: float) -> Any:
            return cls(kind.from_params(time_unit=time_unit, **params))

        def expected_purchases(self, data: pd.DataFrame, *, t: float) -> Any:
            return self.inner.expected_purchases(data, t=t)

    return HiddenModel(model)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# ------------------------------------------------------------------ simulators
def simulate(kind: str, n: int, seed: int, t: float = HOLDOUT) -> tuple[pd.DataFrame, np.ndarray]:
    """Summary (weeks) and holdout counts in (T, T+t] from a model's generative process."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 60.0, n)
    if kind == "pnbd":
        lam = rng.gamma(PNBD["r"], 1.0 / PNBD["alpha"], n)
        life = rng.exponential(1.0 / rng.gamma(PNBD["s"], 1.0 / PNBD["beta"], n))
        owner, times, _ = _poisson_times(rng, lam, np.minimum(life, T + t))
    else:
        lam = rng.gamma(BG["r"], 1.0 / BG["alpha"], n)
        last = rng.geometric(rng.beta(BG["a"], BG["b"], n)) - (1 if kind == "mbg" else 0)
        owner, times, rank = _poisson_times(rng, lam, T + t)
        keep = rank <= last[owner]
        owner, times = owner[keep], times[keep]
    cal = times <= T[owner]
    x = np.bincount(owner[cal], minlength=n).astype(float)
    t_x = np.zeros(n)
    np.maximum.at(t_x, owner[cal], times[cal])
    y = np.bincount(owner[~cal], minlength=n).astype(float)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T}), y


def simulate_bgbb(n: int, seed: int, t: int = 5) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(BGBB["alpha"], BGBB["beta"], n)
    death = rng.geometric(rng.beta(BGBB["gamma"], BGBB["delta"], n))
    n_periods = rng.integers(4, 12, n)
    i = np.arange(1, int(n_periods.max()) + t + 1)[None, :]
    buys = (rng.uniform(size=(n, i.size)) < p[:, None]) & (i < death[:, None])
    cal = i <= n_periods[:, None]
    data = pd.DataFrame(
        {
            "frequency": (buys & cal).sum(axis=1),
            "recency": np.where(buys & cal, i, 0).max(axis=1),
            "n_periods": n_periods,
        }
    ).astype(float)
    y = (buys & ~cal & (i <= n_periods[:, None] + t)).sum(axis=1).astype(float)
    return data, y


def simulate_spend(n: int, seed: int) -> pd.DataFrame:
    """BG/NBD repeat purchases with Gamma-Gamma spends; summary in weeks at daily resolution."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(BG["r"], 1.0 / BG["alpha"], n)
    last = rng.geometric(rng.beta(BG["a"], BG["b"], n))
    nu = rng.gamma(GG["q"], 1.0 / GG["v"], n)
    T = np.floor(rng.uniform(20.0, 60.0, n) * 7.0) / 7.0
    owner, times, rank = _poisson_times(rng, lam, T)
    keep = rank <= last[owner]
    owner, times = owner[keep], np.floor(times[keep] * 7.0) / 7.0
    spend = np.round(rng.gamma(GG["p"], 1.0 / nu[owner]), 2)
    x = np.bincount(owner, minlength=n).astype(float)
    t_x = np.zeros(n)
    np.maximum.at(t_x, owner, times)
    total = np.bincount(owner, weights=spend, minlength=n)
    m = np.divide(total, x, out=np.zeros(n), where=x > 0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "monetary_value": m})


def _previous_value_quantiles(bg: Any, gg: Any, data: pd.DataFrame, t: float, levels: list) -> dict:
    """The previous value_distribution quantiles (per customer block, dense CDF every step)."""
    p, shape, rate = _spend_posterior(gg, data)
    pmf = cm.purchase_pmf(bg, data, t=t).to_numpy()
    length = pmf.shape[1] - np.argmax(pmf[:, ::-1] > 0, axis=1)
    order = np.argsort(length, kind="stable")
    out = {}
    for q in levels:
        values = np.zeros(len(data))
        for start in range(0, len(data), 512):
            rows = order[start : start + 512]
            part = pmf[rows, : max(int(length[rows].max()), 1)]
            values[rows] = _previous_quantile(part, p, shape[rows], rate[rows], q)
        out[f"q{q:g}"] = values
    return out


def _previous_quantile(pmf: np.ndarray, p: float, shape: Any, rate: Any, q: float) -> Any:
    out = np.zeros(pmf.shape[0])
    todo = np.flatnonzero(pmf[:, 0] < q)
    if todo.size == 0:
        return out
    pm, sh = pmf[todo], shape[todo][:, None]
    a = np.arange(1, pm.shape[1], dtype=np.float64)[None, :] * p
    log_b = betaln(a, sh)
    lo, hi = np.zeros(todo.size), np.ones(todo.size)
    z = np.full(todo.size, 0.5)
    act = np.arange(todo.size)
    for _ in range(100):
        za = z[act]
        zz = np.broadcast_to(za[:, None], (act.size, a.shape[1]))
        w, sa, lb = pm[act], sh[act], log_b[act]
        cdf = w[:, 0] + np.einsum("ij,ij->i", w[:, 1:], betainc(a, sa, zz))
        below = cdf < q
        lo[act] = np.where(below, za, lo[act])
        hi[act] = np.where(below, hi[act], za)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            dens = np.einsum(
                "ij,ij->i",
                w[:, 1:],
                np.exp((a - 1.0) * np.log(zz) + (sa - 1.0) * np.log1p(-zz) - lb),
            )
            step = za - (cdf - q) / dens
        inside = np.isfinite(step) & (step > lo[act]) & (step < hi[act])
        new = np.where(inside, step, 0.5 * (lo[act] + hi[act]))
        done = (np.abs(new - za) <= 1e-15 + 1e-12 * za) | (hi[act] - lo[act] <= 1e-15)
        z[act] = new
        act = act[~done]
        if act.size == 0:
            break
    out[todo] = rate[todo] * z / (1.0 - z)
    return out


def daily(data: pd.DataFrame) -> pd.DataFrame:
    """Round a weekly summary to whole days (as rfm_summary(freq='D', time_unit='W'))."""
    out = np.floor(data * 7.0) / 7.0
    out["recency"] = np.minimum(out["recency"], out["T"])
    return out


# ------------------------------------------------------------------ sections
def speed() -> None:
    cdnow = cm.load_cdnow_summary()
    print("\n## confidence_interval: 2,357 CDNOW customers x 500 Laplace draws (t = 52 weeks)\n")
    print("| model | before (s) | now (s) | ratio | delta method (s) | delta covers draws |")
    print("|---|---:|---:|---:|---:|---|")
    for cls in (BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel):
        model = cls().fit(cdnow)
        before, _ = _timed(
            lambda m=model: cm.confidence_interval(
                _hidden(m), cdnow, t=52, n_draws=500, random_state=0
            )
        )
        now, lap = _timed(
            lambda m=model: cm.confidence_interval(m, cdnow, t=52, n_draws=500, random_state=0)
        )
        fast, delta = _timed(lambda m=model: cm.confidence_interval(m, cdnow, t=52, method="delta"))
        # coverage of the delta interval against the Laplace draws of each expectation
        from customer_models.valuation._param_draws import draw_params, evaluator

        ev = evaluator(model, cdnow, "expected_purchases", 52.0)
        draws = draw_params(model, 2000, np.random.default_rng(1), "laplace", None)
        values = np.stack([ev.evaluate(d, slice(0, ev.n_patterns)) for d in draws])[:, ev.inverse]
        lo, hi = delta["lower"].to_numpy(), delta["upper"].to_numpy()
        share = ((values >= lo) & (values <= hi)).mean(axis=0)
        q05, q50, q95 = np.quantile(share, [0.05, 0.5, 0.95])
        print(
            f"| {cls.__name__} | {before:.2f} | {now:.2f} | {before / now:.1f}x | {fast:.3f} | "
            f"median {q50:.3f} (5-95%: {q05:.3f}-{q95:.3f}) of 2,000 draws in the 90% interval |"
        )
        del lap


def big(n: int = 1_000_000) -> None:
    data = daily(simulate("bg", n, seed=0)[0])
    print(f"\n## {n:,} simulated customers (daily resolution in weeks), t = 52 weeks\n")
    print("| model | purchase_distribution (q0.05, q0.95, P(>=1)) | prediction_interval |")
    print("|---|---:|---:|")
    for cls, params in ((BetaGeoModel, BG), (ParetoNBDModel, PNBD)):
        model = cls.from_params(**params)
        dist, _ = _timed(
            lambda m=model: cm.purchase_distribution(m, data, t=52, quantiles=[0.05, 0.95])
        )
        pi, _ = _timed(lambda m=model: cm.prediction_interval(m, data, t=52))
        print(f"| {cls.__name__} | {dist:.2f} s | {pi:.2f} s |")
    print("\n| model | confidence_interval 500 draws | delta | before, 20 draws (x25 = 500) |")
    print("|---|---:|---:|---:|")
    fit_rows = data.sample(20_000, random_state=0)
    for cls in (BetaGeoModel, ParetoNBDModel):
        model = cls().fit(fit_rows)
        now, _ = _timed(
            lambda m=model: cm.confidence_interval(m, data, t=52, n_draws=500, random_state=0)
        )
        fast, _ = _timed(lambda m=model: cm.confidence_interval(m, data, t=52, method="delta"))
        old, _ = _timed(
            lambda m=model: cm.confidence_interval(
                _hidden(m), data, t=52, n_draws=20, random_state=0
            )
        )
        print(f"| {cls.__name__} | {now:.1f} s | {fast:.2f} s | {old:.1f} s ({25 * old:.0f} s) |")


def value(sizes: tuple[int, ...] = (3_000, 100_000, 1_000_000), before_max: int = 10_000) -> None:
    bg = BetaGeoModel.from_params(**BG)
    gg = GammaGammaModel.from_params(**GG)
    levels = [0.05, 0.5, 0.95]
    print("\n## value_distribution: quantiles 0.05, 0.5, 0.95 of the value of the next 52 weeks\n")
    print("| customers | value rows | now (s) | before (s) | ratio | largest relative difference |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        data = simulate_spend(n, seed=7)
        rows = len(data.drop_duplicates())
        now, out = _timed(lambda d=data: cm.value_distribution(bg, gg, d, t=52.0, quantiles=levels))
        sub = data.iloc[: min(n, before_max)]
        old, prev = _timed(lambda d=sub: _previous_value_quantiles(bg, gg, d, 52.0, levels))
        scaled = old * n / len(sub)
        diff = max(
            float(
                np.max(
                    np.abs(out[c].to_numpy()[: len(sub)] - prev[c])
                    / np.maximum(np.abs(prev[c]), 1e-12)
                )
            )
            for c in prev
        )
        label = f"{scaled:.1f}" if len(sub) == n else f"{scaled:.0f} ({old:.1f} on {len(sub):,})"
        print(f"| {n:,} | {rows:,} | {now:.2f} | {label} | {scaled / now:.0f}x | {diff:.1e} |")


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def extras() -> None:
    print("\n## value_distribution with parameter uncertainty (52 weeks, q0.05/q0.5/q0.95)\n")
    fit = simulate_spend(20_000, seed=11)
    bg = BetaGeoModel().fit(fit)
    gg = GammaGammaModel().fit(fit.loc[fit["frequency"] > 0])
    print("| customers | draws | fixed (s) | with draws (s) | ratio | peak RSS (GB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, draws in ((10_000, 20), (10_000, 100), (100_000, 20)):
        data = simulate_spend(n, seed=12)
        fixed, _ = _timed(lambda d=data: cm.value_distribution(bg, gg, d, t=52.0))
        mixed, _ = _timed(
            lambda d=data, k=draws: cm.value_distribution(
                bg, gg, d, t=52.0, parameter_uncertainty=True, n_draws=k, random_state=0
            )
        )
        print(
            f"| {n:,} | {draws} | {fixed:.2f} | {mixed:.2f} | {mixed / fixed:.0f}x | "
            f"{_peak_gb():.2f} |"
        )
    print("\n## BG/BB time to the next transaction, 1,000,000 simulated customers\n")
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    data, _ = simulate_bgbb(1_000_000, seed=13)
    print("| work | seconds | largest difference from 1 - P(X = 0) | peak RSS (GB) |")
    print("|---|---:|---:|---:|")
    for m in (1, 10, 100):
        sec, cdf = _timed(lambda mm=m: cm.next_purchase_cdf(model, data, t=mm))
        p0 = model.probability_of_purchases(data, n=0, t=m).to_numpy()
        diff = float(np.max(np.abs(cdf.to_numpy() - (1.0 - p0))))
        print(f"| next_purchase_cdf, t = {m} | {sec:.2f} | {diff:.1e} | {_peak_gb():.2f} |")
    for q in (0.1, 0.5):
        sec, _ = _timed(lambda qq=q: cm.next_purchase_quantile(model, data, q=qq))
        print(
            f"| next_purchase_quantile, q = {q} (max_time default) | {sec:.2f} | | "
            f"{_peak_gb():.2f} |"
        )
    print("\n## customer_lifetime_value(start=4, horizon=12 months), 1,000,000 BG/NBD customers\n")
    data, _ = simulate("bg", 1_000_000, seed=14)
    data = cm.with_time_unit(daily(data).assign(monetary_value=20.0), "W")
    model = BetaGeoModel.from_params(time_unit="W", **BG)
    print("| discounting | from now (s) | window (s) | ratio | peak RSS (GB) |")
    print("|---|---:|---:|---:|---:|")
    for disc in ("discrete", "continuous"):
        kw = {"horizon": 12, "horizon_unit": "M", "discount_rate": 0.01, "discounting": disc}
        now, _ = _timed(lambda k=kw: cm.customer_lifetime_value(model, None, data, **k))
        win, _ = _timed(lambda k=kw: cm.customer_lifetime_value(model, None, data, start=4, **k))
        print(f"| {disc} | {now:.2f} | {win:.2f} | {win / now:.2f} | {_peak_gb():.2f} |")


def coverage(reps: int = 200) -> None:
    print("\n## Outcome prediction intervals on simulated data (share of holdout counts inside)\n")
    print("| model | customers | confidence | achieved | model coverage (mean) |")
    print("|---|---:|---:|---:|---:|")
    cases = [
        ("BG/NBD", BetaGeoModel.from_params(**BG), *simulate("bg", 50_000, 21), HOLDOUT),
        ("MBG/NBD", ModifiedBetaGeoModel.from_params(**BG), *simulate("mbg", 50_000, 22), HOLDOUT),
        ("Pareto/NBD", ParetoNBDModel.from_params(**PNBD), *simulate("pnbd", 30_000, 23), HOLDOUT),
        ("BG/BB", BetaGeoBetaBinomModel.from_params(**BGBB), *simulate_bgbb(50_000, 24), 5),
    ]
    for name, model, data, y, t in cases:
        for conf in (0.5, 0.8, 0.9, 0.95):
            out = cm.prediction_interval(model, data, t=t, confidence=conf)
            inside = ((out["lower"] <= y) & (y <= out["upper"])).mean()
            print(
                f"| {name} | {len(data):,} | {conf} | {inside:.3f} | {out['coverage'].mean():.3f} |"
            )
    print(
        f"\n## Confidence intervals of the expectation: {reps} refits on 10,000 simulated "
        "BG/NBD customers each (nominal 0.9)\n"
    )
    ref = pd.DataFrame(
        {"frequency": [0.0, 2.0, 10.0], "recency": [0.0, 30.0, 38.0], "T": [40.0] * 3},
        index=["x=0", "x=2, t_x=30", "x=10, t_x=38"],
    )
    truth = BetaGeoModel.from_params(**BG).expected_purchases(ref, t=HOLDOUT).to_numpy()
    hits: dict[str, list[np.ndarray]] = {"delta": [], "laplace (200 draws)": []}
    for rep in range(reps):
        data, _ = simulate("bg", 10_000, seed=1_000 + rep, t=1.0)
        model = BetaGeoModel().fit(data)
        for method, kwargs in (("delta", {"method": "delta"}), ("laplace (200 draws)", {})):
            out = cm.confidence_interval(
                model, ref, t=HOLDOUT, n_draws=200, random_state=rep, **kwargs
            )
            hits[method].append(((out["lower"] <= truth) & (truth <= out["upper"])).to_numpy())
    print("| method | " + " | ".join(ref.index) + " |")
    print("|---|" + "---:|" * len(ref))
    for method, values in hits.items():
        cov = np.mean(values, axis=0)
        print(f"| {method} | " + " | ".join(f"{c:.3f}" for c in cov) + " |")


def window() -> None:
    from test_predictive import simulate_bg

    print("\n## Count of a later window: purchase_distribution(t=26, start=s), q0.05 and q0.95\n")
    print("| model | customers | distinct (x, T) | s = 0 (s) | s = 13 (s) | s = 52 (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    small = simulate_bg(12_000, BG, 13.0, seed=41)[0]
    large = daily(simulate("bg", 1_000_000, seed=15)[0])
    cases = [
        (BetaGeoModel, BG, small),
        (ModifiedBetaGeoModel, BG, small),
        (BetaGeoModel, BG, large),
        (ModifiedBetaGeoModel, BG, large),
        (ParetoNBDModel, PNBD, large),
    ]
    for cls, params, data in cases:
        model = cls.from_params(**params)
        pairs = len(data[["frequency", "T"]].drop_duplicates())
        secs = [
            _timed(
                lambda s=s, m=model, d=data: cm.purchase_distribution(
                    m, d, t=26, start=s, quantiles=[0.05, 0.95]
                )
            )[0]
            for s in (0.0, 13.0, 52.0)
        ]
        print(
            f"| {cls.__name__} | {len(data):,} | {pairs:,} | "
            + " | ".join(f"{v:.2f}" for v in secs)
            + " |"
        )
    bb = BetaGeoBetaBinomModel.from_params(**BGBB)
    data, _ = simulate_bgbb(1_000_000, seed=16)
    secs = [
        _timed(
            lambda s=s: cm.purchase_distribution(bb, data, t=5, start=s, quantiles=[0.05, 0.95])
        )[0]
        for s in (0, 3, 10)
    ]
    print(
        f"| BetaGeoBetaBinomModel (s = 0, 3, 10 opportunities) | {len(data):,} | "
        f"{len(data.drop_duplicates()):,} histories | "
        + " | ".join(f"{v:.2f}" for v in secs)
        + " |"
    )


def value_coverage_table(reps: int = 10, n_draws: int = 50) -> None:
    """The value interval's coverage (see the module docstring); the code is the test's."""
    from test_value_coverage import FREQUENT, value_coverage

    print(
        f"\n## Value interval [q0.05, q0.95] over 39 weeks: {reps} refits per row, "
        f"{n_draws} joint Laplace draws\n"
    )
    print(
        "| population | customers | parameter uncertainty | achieved (min-max) | nominal | "
        "below q0.05 (customers with lo > 0) | above q0.95 (hi > 0) | share with lo = 0 | "
        "seconds |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for name, params in (("CDNOW-like", BG), ("frequent", FREQUENT)):
        for n in (500, 2_000):
            for mixed in (False, True):
                sec, res = _timed(
                    lambda p=params, k=n, u=mixed: value_coverage(
                        k, reps, seed=500, n_draws=n_draws, parameter_uncertainty=u, params=p
                    )
                )
                ach = res["achieved"]
                positive = round(float((1.0 - res["zero_share"]).sum()) * n)
                print(
                    f"| {name} | {n:,} | {'yes' if mixed else 'no'} | {ach.mean():.3f} "
                    f"({ach.min():.3f}-{ach.max():.3f}) | {res['nominal'].mean():.3f} | "
                    f"{np.nanmean(res['below']):.3f} ({positive:,}) | "
                    f"{np.nanmean(res['above']):.3f} | "
                    f"{res['zero_share'].mean():.2f} | {sec:.0f} |"
                )


def main(argv: list[str]) -> None:
    sections = argv or ["speed", "big", "value", "extras", "coverage", "value_coverage"]
    table = {"speed": speed, "big": big, "value": value, "extras": extras, "coverage": coverage}
    table["value_coverage"] = value_coverage_table
    table["window"] = window
    for name in sections:
        table[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
