"""Every public path on a full table against its peer or floor (issue #17 item 1).

Usage::

    python benchmarks/bench_paths.py --customers 100000 1000000 [--repeat 1] [--only WORD ...]

Data: an independent generator (not ``make_transactions``): integer customer ids spread over
a sparse range, acquisition uniform over 2024, per-customer purchase and dropout rates (both
gamma), an exponential lifetime, repeat purchases uniform over the customer's active span,
timestamps at second resolution, log-normal amounts in cents, a three-valued ``channel``
column, rows shuffled; about 4.6 transactions per customer. A second copy with 2% refund rows
(negative amounts on the day of a purchase or up to 20 days later) is used only where a path
accepts refunds (``rfm_summary(refunds="net_period")``, ``LoyaltyProgram``). Survey answers
(one per customer: a 0-10 score, a 1-5, a 1-7 and 8 driver ratings built from a latent
satisfaction) and contractual durations (months until churn, censored at 24) come from the
same generator. Interval paths run on the first ``--interval-customers`` customers of the
summary (default 10,000; a random subset, since ids are shuffled).

For every path: the median wall time of ``--repeat`` runs (public API only), its **peer or
floor** -- the scikit-learn estimator it wraps fitted once on the same data, a plain
numpy/pandas computation of the same result, or the model kernel alone -- the ratio, the
peak resident memory above the baseline during the first run (sampled every 5 ms), and
whether the answers agree with the floor where both compute the same thing (``ok``, or the
largest difference). Paths whose floor is derived from a timed kernel (``n x kernel``) say
so in the floor column. BLAS and OpenMP pools get one thread on both sides (``--threads``,
threadpoolctl), as the machine the tables come from is shared. Everything is printed as one
markdown table per size.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from _behavior_peer import pandas_behavior
from _common import machine, measure, print_markdown_table
from scipy import special
from threadpoolctl import threadpool_limits

import customer_models as cm

START = pd.Timestamp("2024-01-01")
END = pd.Timestamp("2025-12-31")  # observation end (a day: purchases up to 23:59:59 count)
CAL_END = pd.Timestamp("2025-06-30")
HORIZON_DAYS = 180
SECONDS_PER_DAY = 86_400
WEEK = 7.0
MIN_FLAG_SECONDS = 0.05  # ratios of faster paths are timer noise and call overhead: not flagged


# -- calls with the parameters every path here shares ---------------------------------------


def interval_call(model: Any, data: Any, **kwargs: Any) -> pd.DataFrame:
    return cm.confidence_interval(model, data, confidence=0.9, **kwargs)


def churn_dataset_call(tx: pd.DataFrame, at: pd.Timestamp, **kwargs: Any) -> Any:
    return cm.churn_dataset(tx, as_of=at, **kwargs)


def clv_call(*args: Any, confidence: float | None = None, **kwargs: Any) -> Any:
    return cm.customer_lifetime_value(*args, horizon_unit="4.345W", confidence=confidence, **kwargs)


def key_drivers_call(data: Any, **kwargs: Any) -> Any:
    return cm.key_drivers(data, n_draws=200, **kwargs)


def loyalty_program(tiers: Any, **kwargs: Any) -> Any:
    return cm.LoyaltyProgram(tiers, value_col="amount", **kwargs)


# -- data ------------------------------------------------------------------------------------


@dataclass
class Data:
    tx: pd.DataFrame
    tx_refunds: pd.DataFrame
    survey: pd.DataFrame
    contracts: pd.DataFrame


def generate(n: int, seed: int = 7) -> Data:
    """Transactions (seconds, shuffled), a refund copy, survey answers and contract durations."""
    rng = np.random.default_rng(seed)
    span = int((END - START).total_seconds()) + SECONDS_PER_DAY  # through 2025-12-31 23:59:59
    birth = rng.integers(0, 366 * SECONDS_PER_DAY, n)
    dropout = rng.gamma(1.5, 1.0 / (1.5 * 420.0), n)  # per day, heterogeneous (mean 1/420)
    lifetime = rng.exponential(1.0 / dropout) * SECONDS_PER_DAY
    active_end = np.minimum(birth + lifetime, span - 1)
    rate = rng.gamma(1.1, 0.0098, n) / SECONDS_PER_DAY  # purchases per second while active
    repeats = rng.poisson(rate * (active_end - birth))
    owner = np.repeat(np.arange(n), repeats)
    t_repeat = birth[owner] + rng.random(len(owner)) * (active_end - birth)[owner]
    cust = np.concatenate([np.arange(n), owner])
    seconds = np.concatenate([birth, t_repeat]).astype(np.int64)
    ids = 10_000_000 + 7 * rng.permutation(n).astype(np.int64)  # sparse integer ids
    basket = np.exp(rng.normal(3.3, 0.6, n))
    amount = np.round(basket[cust] * np.exp(rng.normal(0.0, 0.35, len(cust))), 2)
    order = rng.permutation(len(cust))
    channel = pd.Categorical.from_codes(
        rng.choice(3, len(cust), p=[0.5, 0.3, 0.2])[order], categories=["web", "store", "app"]
    )
    tx = pd.DataFrame(
        {
            "customer_id": ids[cust][order],
            "date": START + pd.to_timedelta(seconds[order], unit="s"),
            "amount": amount[order],
            "channel": channel,
        }
    )
    # refunds: 2% of the rows get a refund of part of their amount, 0-20 days later
    pick = np.flatnonzero(rng.random(len(tx)) < 0.02)
    later = (
        tx["date"].to_numpy()[pick]
        + pd.to_timedelta(rng.integers(0, 20 * SECONDS_PER_DAY, len(pick)), unit="s").to_numpy()
    )
    keep = later <= (END + pd.Timedelta(days=1)).to_datetime64() - np.timedelta64(1, "s")
    refunds = pd.DataFrame(
        {
            "customer_id": tx["customer_id"].to_numpy()[pick][keep],
            "date": later[keep],
            "amount": -np.round(0.5 * tx["amount"].to_numpy()[pick][keep], 2),
            "channel": tx["channel"].to_numpy()[pick][keep],
        }
    )
    tx_refunds = pd.concat([tx, refunds], ignore_index=True).sample(frac=1.0, random_state=seed)
    tx_refunds = tx_refunds.reset_index(drop=True)
    # survey: one answer per customer, driven by a latent satisfaction
    latent = rng.normal(0.0, 1.0, n)
    loadings = np.linspace(0.8, 0.2, 8)
    drivers = latent[:, None] * loadings + rng.normal(0.0, 1.0, (n, 8))
    ratings = np.clip(np.round(3.0 + drivers), 1, 5).astype(np.int64)
    overall = np.clip(np.round(7.0 + 1.8 * latent + rng.normal(0, 1.2, n)), 0, 10)
    survey = pd.DataFrame(
        {f"driver_{j + 1}": ratings[:, j] for j in range(8)},
        index=pd.Index(ids, name="customer_id"),
    )
    survey.insert(0, "nps_score", overall.astype(np.int64))
    survey.insert(1, "csat_score", np.clip(np.round(3.6 + latent), 1, 5).astype(np.int64))
    survey.insert(2, "ces_score", np.clip(np.round(5.0 - latent), 1, 7).astype(np.int64))
    survey["region"] = pd.Categorical.from_codes(
        rng.integers(0, 12, n), [f"r{i}" for i in range(12)]
    )
    # contractual durations in months (censored at 24)
    months = np.ceil(rng.exponential(14.0, n)).astype(np.int64)
    contracts = pd.DataFrame({"duration": np.minimum(months, 24), "churned": (months <= 24) * 1})
    return Data(tx, tx_refunds, survey, contracts)


def bgbb_data(tx: pd.DataFrame) -> pd.DataFrame:
    """Monthly opportunities: frequency, recency (month of last repeat), n_periods."""
    month = tx["date"].dt.year * 12 + tx["date"].dt.month
    active = pd.DataFrame({"c": tx["customer_id"], "m": month}).drop_duplicates()
    g = active.groupby("c")["m"]
    first, last, count = g.min(), g.max(), g.size()
    n_periods = (END.year * 12 + END.month) - first
    return pd.DataFrame(
        {
            "frequency": count - 1,
            "recency": np.where(count > 1, last - first, 0),
            "n_periods": n_periods,
        }
    )


# -- floors ------------------------------------------------------------------------------------


def day_index(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def pandas_summary(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """frequency, recency, T (weeks) and monetary_value with daily periods, in pandas."""
    days = pd.DataFrame(
        {"c": tx["customer_id"].to_numpy(), "d": day_index(tx["date"]), "v": tx["amount"]}
    )
    per_day = days.groupby(["c", "d"], sort=True)["v"].sum().reset_index()
    g = per_day.groupby("c", sort=True)
    first = g["d"].transform("min")
    agg = g.agg(first=("d", "min"), last=("d", "max"), n=("d", "size"), total=("v", "sum"))
    first_value = per_day.loc[per_day["d"] == first, ["c", "v"]].set_index("c")["v"]
    freq = agg["n"] - 1
    end_day = np.datetime64(end.date(), "D").astype(np.int64)
    out = pd.DataFrame(
        {
            "frequency": freq,
            "recency": (agg["last"] - agg["first"]) / WEEK,
            "T": (end_day - agg["first"]) / WEEK,
            "monetary_value": ((agg["total"] - first_value) / freq.where(freq > 0)).fillna(0.0),
        }
    )
    out.index.name = "customer_id"
    return out


def numpy_bgnbd(params: pd.Series, x: Any, t_x: Any, T: Any, t: float) -> tuple[Any, Any]:
    """BG/NBD P(alive) and E[X(t) | x, t_x, T] in closed form (Fader et al. 2005)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    ratio = ((alpha + T) / (alpha + t_x)) ** (r + x)
    odds = np.where(x > 0, a / (b + x - 1.0) * ratio, 0.0)
    alive = 1.0 / (1.0 + odds)
    z = t / (alpha + T + t)
    head = (a + b + x - 1.0) / (a - 1.0)
    tail = ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    return alive, head * (1.0 - tail) * alive


def numpy_alive(params: pd.Series, x: Any, t_x: Any, T: Any) -> Any:
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    odds = np.where(x > 0, a / (b + x - 1.0) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return 1.0 / (1.0 + odds)


def numpy_gg(params: pd.Series, x: Any, m: Any) -> Any:
    p, q, v = (params[k] for k in ("p", "q", "v"))
    x = np.asarray(x, dtype=float)
    return (p * (v + x * np.asarray(m, dtype=float))) / (p * x + q - 1.0)


def relative_weights(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correlations with the target and Johnson's relative weights from one pass."""
    corr = np.corrcoef(values, rowvar=False)
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    lam, vec = np.linalg.eigh(rxx)
    root = vec @ np.diag(np.sqrt(lam)) @ vec.T
    beta = np.linalg.solve(root, rxy)
    return rxy, (root**2) @ (beta**2)


def nps_floor(scores: np.ndarray) -> float:
    counts = np.bincount(scores, minlength=11)
    return 100.0 * (counts[9:].sum() - counts[:7].sum()) / counts.sum()


def km_floor(duration: np.ndarray, churned: np.ndarray) -> pd.Series:
    times, inverse = np.unique(duration, return_inverse=True)
    events = np.bincount(inverse, weights=churned, minlength=len(times))
    leaving = np.bincount(inverse, minlength=len(times))
    at_risk = leaving[::-1].cumsum()[::-1]
    return pd.Series(np.cumprod(1.0 - events / at_risk), index=times)


def cohort_floor(tx: pd.DataFrame) -> pd.DataFrame:
    month = (tx["date"].dt.year * 12 + tx["date"].dt.month - 1).to_numpy()
    act = pd.DataFrame({"c": tx["customer_id"].to_numpy(), "m": month}).drop_duplicates()
    act["cohort"] = act.groupby("c")["m"].transform("min")
    act["age"] = act["m"] - act["cohort"]
    counts = act.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    return counts.div(counts[0], axis=0)


def window_sums(tx: pd.DataFrame, dates: list[pd.Timestamp], days: int) -> list[pd.Series]:
    """Net amount per customer in each (date - days, date] window (the rolling-window floor)."""
    d = tx["date"]
    return [
        tx.loc[(d > at - pd.Timedelta(days=days)) & (d <= at), "amount"]
        .groupby(tx["customer_id"])
        .sum()
        for at in dates
    ]


def per_date_inputs(tx: pd.DataFrame, dates: list[pd.Timestamp]) -> list[pd.DataFrame]:
    """First and last purchase and purchase-day count per customer as of each date."""
    out = []
    days = pd.DataFrame({"c": tx["customer_id"].to_numpy(), "d": day_index(tx["date"])})
    for at in dates:
        upto = days[days["d"] <= np.datetime64(at.date(), "D").astype(np.int64)]
        out.append(upto.groupby("c")["d"].agg(["min", "max", "nunique"]))
    return out


def churn_floor(tx: pd.DataFrame, at: pd.Timestamp) -> tuple[pd.DataFrame, pd.Series]:
    """Recency, tenure, counts, inter-purchase gaps, value and the label, with pandas."""
    cut = at + pd.Timedelta(days=1)
    hist = tx[tx["date"] < cut]
    g = hist.groupby("customer_id")
    days = pd.DataFrame({"c": hist["customer_id"].to_numpy(), "d": day_index(hist["date"])})
    days = days.drop_duplicates().sort_values(["c", "d"])
    gaps = days.groupby("c")["d"].diff()
    by_c = gaps.groupby(days["c"])
    X = pd.DataFrame(
        {
            "recency_days": (cut - g["date"].max()).dt.total_seconds() / SECONDS_PER_DAY,
            "tenure_days": (cut - g["date"].min()).dt.total_seconds() / SECONDS_PER_DAY,
            "n_transactions": g.size(),
            "ipt_mean_days": by_c.mean(),
            "ipt_std_days": by_c.std(),
            "monetary_total": g["amount"].sum(),
        }
    )
    d = tx["date"]
    future = tx.loc[(d >= cut) & (d < cut + pd.Timedelta(days=HORIZON_DAYS)), "customer_id"]
    y = pd.Series((~X.index.isin(future.unique())).astype(np.int64), index=X.index)
    return X, y


# -- checks ------------------------------------------------------------------------------------


def max_rel(a: Any, b: Any) -> float:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise AssertionError(f"shapes {a.shape} vs {b.shape}")
    return float(np.nanmax(np.abs(a - b) / np.maximum(np.abs(b), 1e-12), initial=0.0))


def verdict(diff: float, tol: float = 1e-6) -> str:
    return "ok" if diff <= tol else f"DIFF {diff:.1e}"


# -- the cases ---------------------------------------------------------------------------------


@dataclass
class Case:
    path: str
    ours: Callable[[], Any]
    floor_name: str
    floor: Callable[[], Any] | None = None
    check: Callable[[Any, Any], str] | None = None
    rows: int = 0
    floor_seconds: Callable[[float], float] | None = None  # a floor derived from a kernel time
    slow: bool = False  # run once whatever --repeat says
    feeds: bool = False  # later paths use its result: runs even when --only leaves it out


def run_case(case: Case, repeat: int) -> dict[str, Any]:
    reps = 1 if case.slow else repeat
    row: dict[str, Any] = {"path": case.path, "rows": f"{case.rows:,}"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_ours, mem, result = measure(case.ours, repeat=reps)
            agree = "-"
            if case.floor is not None:
                t_floor, _, floor_result = measure(case.floor, repeat=reps)
                if case.floor_seconds is not None:
                    t_floor = case.floor_seconds(t_floor)
                if case.check is not None:
                    agree = case.check(result, floor_result)
            else:
                t_floor = float("nan")
    except Exception as exc:  # one failing path must not hide the others
        row.update({"s": "-", "floor": case.floor_name, "floor s": "-", "ratio": "-"})
        row.update({"peak MiB": "-", "agrees": f"ERROR {type(exc).__name__}: {exc}"[:120]})
        return row
    ratio = t_ours / t_floor if t_floor > 0 else float("nan")
    flag = " (>3x)" if ratio > 3 and t_ours >= MIN_FLAG_SECONDS else ""
    row.update(
        {
            "s": f"{t_ours:.3f}",
            "floor": case.floor_name,
            "floor s": f"{t_floor:.3f}",
            "ratio": f"{ratio:.2f}x{flag}",
            "peak MiB": f"{mem:.0f}",
            "agrees": agree,
        }
    )
    return row


def valuation_cases(
    data: Data, summary: pd.DataFrame, split: pd.DataFrame, state: dict[str, Any]
) -> list[Case]:
    n = len(summary)
    repeat_buyers = summary[summary["frequency"] > 0]
    bgbb = state["bgbb_data"]
    cases = []

    def fit_case(name: str, cls: Any, X: pd.DataFrame) -> Case:
        def fit() -> Any:
            model = cls().fit(X)
            state[name] = model
            return model

        def one_ll() -> float:
            return state[name].log_likelihood(X)

        return Case(
            f"{cls.__name__}.fit",
            fit,
            "n_iter x log_likelihood",
            one_ll,
            lambda model, _: f"{model.convergence_.n_iterations} iters",
            len(X),
            lambda t: t * max(state[name].convergence_.n_iterations, 1),
        )

    def alive_and_expected(name: str, X: pd.DataFrame, t: float) -> Callable[[], Any]:
        return lambda: (state[name].probability_alive(X), state[name].expected_purchases(X, t=t))

    def kernel_case(name: str, cls: Any, X: pd.DataFrame, t: float) -> Case:
        return Case(
            f"{cls.__name__} P(alive) + expected_purchases({t:g})",
            alive_and_expected(name, X, t),
            "log_likelihood (kernel)",
            lambda: state[name].log_likelihood(X),
            None,
            len(X),
        )

    cases.append(fit_case("bg", cm.BetaGeoModel, summary))
    cases.append(
        Case(
            "BetaGeo P(alive) + expected_purchases(52)",
            alive_and_expected("bg", summary, 52.0),
            "numpy closed form",
            lambda: numpy_bgnbd(
                state["bg"].params_, summary["frequency"], summary["recency"], summary["T"], 52.0
            ),
            lambda o, f: verdict(max(max_rel(o[0], f[0]), max_rel(o[1], f[1]))),
            n,
        )
    )
    for name, cls in (("pnbd", cm.ParetoNBDModel), ("mbg", cm.ModifiedBetaGeoModel)):
        cases.append(fit_case(name, cls, summary))
        cases.append(kernel_case(name, cls, summary, 52.0))
    cases.append(fit_case("bgbb", cm.BetaGeoBetaBinomModel, bgbb))
    cases.append(kernel_case("bgbb", cm.BetaGeoBetaBinomModel, bgbb, 12))
    cases.append(fit_case("sbg", cm.ShiftedBetaGeoModel, data.contracts))
    cases.append(fit_case("gg", cm.GammaGammaModel, repeat_buyers))
    cases.append(
        Case(
            "GammaGammaModel.expected_spend",
            lambda: state["gg"].expected_spend(summary),
            "numpy closed form",
            lambda: numpy_gg(state["gg"].params_, summary["frequency"], summary["monetary_value"]),
            lambda o, f: verdict(max_rel(o, f)),
            n,
        )
    )

    def clv_floor(frame: pd.DataFrame = summary) -> np.ndarray:
        """12 monthly horizons of BG/NBD x Gamma-Gamma CLV in closed form, 1% a month."""
        args = (frame["frequency"], frame["recency"], frame["T"])
        spend = numpy_gg(state["gg"].params_, frame["frequency"], frame["monetary_value"])
        total, previous = np.zeros(len(frame)), np.zeros(len(frame))
        for m in range(1, 13):
            expected = numpy_bgnbd(state["bg"].params_, *args, 4.345 * m)[1]
            total += (expected - previous) * spend / 1.01**m
            previous = expected
        return total

    def clv() -> Any:
        return clv_call(state["bg"], state["gg"], summary, horizon=12, discount_rate=0.01)

    cases.append(
        Case(
            "customer_lifetime_value (12 months)",
            clv,
            "numpy closed form x 12",
            clv_floor,
            lambda o, f: verdict(max_rel(o, f)),
            n,
        )
    )
    # intervals: n_draws model evaluations at least; on the first ``cap`` customers
    sub = summary.iloc[: state["interval_customers"]]
    sub_n = len(sub)
    sub_args = (sub["frequency"], sub["recency"], sub["T"])

    cases.append(
        Case(
            "customer_lifetime_value confidence=0.9 (laplace, 200 draws)",
            lambda: clv_call(
                state["bg"],
                state["gg"],
                sub,
                horizon=12,
                discount_rate=0.01,
                confidence=0.9,
                n_draws=200,
                random_state=0,
            ),
            "200 x numpy closed-form CLV",
            lambda: clv_floor(sub),
            None,
            sub_n,
            lambda t: 200 * t,
            slow=True,
        )
    )
    for method in ["laplace", "delta"]:
        draws = 500 if method == "laplace" else 0
        factor = 500 if method == "laplace" else 5  # delta: point + 4 parameter derivatives
        label = "500 draws" if draws else "delta method"
        floor_label = f"{factor} x numpy closed form"
        cases.append(
            Case(
                f"confidence_interval expected_purchases(52) ({method}, {label})",
                lambda method=method: interval_call(
                    state["bg"], sub, t=52.0, method=method, random_state=0
                ),
                floor_label,
                lambda: numpy_bgnbd(state["bg"].params_, *sub_args, 52.0),
                None,
                sub_n,
                lambda t, factor=factor: factor * t,
                slow=True,
            )
        )
        cases.append(
            Case(
                f"confidence_interval probability_alive ({method}, {label})",
                lambda method=method: interval_call(
                    state["bg"], sub, quantity="probability_alive", method=method, random_state=0
                ),
                floor_label + " (P(alive) part)",
                lambda: numpy_alive(state["bg"].params_, *sub_args),
                None,
                sub_n,
                lambda t, factor=factor: factor * t,
                slow=True,
            )
        )

    # holdout: the calibration model, then the evaluation with and without tracking
    def cal_fit() -> Any:
        state["bg_cal"] = cm.BetaGeoModel().fit(split)
        return state["bg_cal"]

    def holdout_kernel() -> Any:
        alive, expected = numpy_bgnbd(
            state["bg_cal"].params_,
            split["frequency"],
            split["recency"],
            split["T"],
            split["duration_holdout"].to_numpy(),
        )
        return expected, alive

    cases.append(
        Case(
            "BetaGeoModel.fit (calibration period)",
            cal_fit,
            "n_iter x log_likelihood",
            lambda: state["bg_cal"].log_likelihood(split),
            lambda model, _: f"{model.convergence_.n_iterations} iters",
            len(split),
            lambda t: t * max(state["bg_cal"].convergence_.n_iterations, 1),
            feeds=True,
        )
    )
    cases.append(
        Case(
            "evaluate_holdout (no tracking)",
            lambda: cm.evaluate_holdout(state["bg_cal"], split),
            "numpy closed form E[X] + P(alive)",
            holdout_kernel,
            lambda o, f: verdict(
                abs(o.metrics["mae"] - np.abs(split["frequency_holdout"] - f[0]).mean())
            ),
            len(split),
        )
    )
    cases.append(
        Case(
            "evaluate_holdout (tracking, weekly)",
            lambda: cm.evaluate_holdout(state["bg_cal"], split, transactions=data.tx),
            "closed form + tracking floor",
            lambda: (holdout_kernel(), tracking_floor(state["bg_cal"], split, data.tx)),
            None,
            len(data.tx),
        )
    )
    cases.append(
        Case(
            "transaction_tracking (weekly)",
            lambda: cm.transaction_tracking(state["bg_cal"], split, data.tx),
            "pandas + numpy closed form per distinct age",
            lambda: tracking_floor(state["bg_cal"], split, data.tx),
            lambda o, f: verdict(
                max(
                    max_rel(o["actual_cumulative"], f[0]),
                    max_rel(o["expected_cumulative"], f[1]),
                ),
                1e-6,
            ),
            len(data.tx),
        )
    )
    cases.append(
        Case(
            "frequency_fit",
            lambda: cm.frequency_fit(state["bg"], summary),
            "bincount + log_likelihood (kernel)",
            lambda: (
                np.bincount(np.minimum(summary["frequency"], 7)),
                state["bg"].log_likelihood(summary),
            ),
            None,
            n,
        )
    )
    return cases


def numpy_bgnbd_new(params: pd.Series, t: np.ndarray) -> np.ndarray:
    """BG/NBD E[X(t)] of a new customer in closed form (Fader et al. 2005, eq. 9)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    z = t / (alpha + t)
    tail = (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1.0, z)
    return (a + b - 1.0) / (a - 1.0) * (1.0 - tail)


def tracking_floor(
    model: Any, split: pd.DataFrame, tx: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative actual and expected repeat transactions per weekly period (BG/NBD).

    Births are first purchase days (days since the cohort's first one); the expectation at
    each period end is evaluated once per distinct age (period end - birth), in closed form.
    """
    days = pd.DataFrame({"c": tx["customer_id"].to_numpy(), "d": day_index(tx["date"])})
    days = days[days["c"].isin(split.index)].drop_duplicates()
    first = days.groupby("c")["d"].min()
    origin = int(first.min())
    n_periods = int(np.ceil((int(days["d"].max()) - origin + 1) / 7.0))
    repeat_day = days["d"].to_numpy() - origin
    is_first = days["d"].to_numpy() == first.reindex(days["c"]).to_numpy()
    period = repeat_day[~is_first] // 7  # 0-based period of each repeat purchase day
    actual = np.cumsum(np.bincount(period, minlength=n_periods)[:n_periods])
    births, counts = np.unique(first.to_numpy() - origin, return_counts=True)
    ends = 7.0 * np.arange(1, n_periods + 1)
    age = np.maximum(ends[:, None] - births[None, :], 0.0)
    ages, inverse = np.unique(age, return_inverse=True)
    values = numpy_bgnbd_new(model.params_, ages / WEEK)[inverse].reshape(age.shape)
    return actual.astype(float), values @ counts


def predictive_cases(summary: pd.DataFrame, state: dict[str, Any]) -> list[Case]:
    """The predictive distributions (present from the commit that added them)."""
    names = (
        "probability_alive_at",
        "next_purchase_cdf",
        "next_purchase_quantile",
        "purchase_pmf",
        "purchase_distribution",
        "value_distribution",
    )
    if not all(hasattr(cm, name) for name in names):
        return []
    n = len(summary)
    args = (summary["frequency"], summary["recency"], summary["T"])
    sub = summary.iloc[: state["interval_customers"]]  # value_distribution: slow per customer

    def params() -> pd.Series:
        return state["bg"].params_

    def posterior() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = params()
        alive = numpy_alive(p, *args)
        shape = p["r"] + summary["frequency"].to_numpy(float)
        return alive, shape, p["alpha"] + summary["T"].to_numpy(float)

    def cdf_floor() -> np.ndarray:  # alive buyers buy in (T, T+t] unless Poisson gives 0
        alive, shape, scale = posterior()
        return alive * (1.0 - (scale / (scale + 26.0)) ** shape)

    def quantile_floor() -> np.ndarray:
        alive, shape, scale = posterior()
        with np.errstate(divide="ignore", invalid="ignore"):
            t = scale * ((1.0 - 0.5 / alive) ** (-1.0 / shape) - 1.0)
        return np.where(alive > 0.5, t, np.inf)

    def alive_at_floor() -> np.ndarray:
        p = params()
        x = summary["frequency"].to_numpy(float)
        u = 26.0 / (p["alpha"] + summary["T"].to_numpy(float))
        stay = (1.0 + u) ** -(p["r"] + x) * special.hyp2f1(
            p["r"] + x, p["b"] + x, p["a"] + p["b"] + x, u / (1.0 + u)
        )
        return numpy_alive(p, *args) * stay

    def finite_check(o: Any, f: Any) -> str:
        o, f = np.asarray(o, dtype=float), np.asarray(f, dtype=float)
        same_inf = bool(np.array_equal(np.isinf(o), np.isinf(f)))
        keep = np.isfinite(o) & np.isfinite(f)
        return verdict(max_rel(o[keep], f[keep]), 1e-6) if same_inf else "DIFF (inf)"

    kernel = "log_likelihood (kernel)"
    return [
        Case(
            "probability_alive_at(26)",
            lambda: cm.probability_alive_at(state["bg"], summary, t=26.0),
            "numpy closed form (hyp2f1)",
            alive_at_floor,
            lambda o, f: verdict(max_rel(o, f), 1e-6),
            n,
        ),
        Case(
            "next_purchase_cdf(26)",
            lambda: cm.next_purchase_cdf(state["bg"], summary, t=26.0),
            "numpy closed form",
            cdf_floor,
            # 1 - P(X = 0) cancels for near-dead customers: relative to max(value, 1e-6)
            lambda o, f: verdict(
                float(np.max(np.abs(np.asarray(o) - f) / np.maximum(np.abs(f), 1e-6))), 1e-6
            ),
            n,
        ),
        Case(
            "next_purchase_quantile(0.5)",
            lambda: cm.next_purchase_quantile(state["bg"], summary, q=0.5),
            "numpy closed form (inverted)",
            quantile_floor,
            finite_check,
            n,
        ),
        Case(
            "purchase_pmf(52)",
            lambda: cm.purchase_pmf(state["bg"], summary, t=52.0),
            kernel,
            lambda: state["bg"].log_likelihood(summary),
            lambda o, f: f"{o.shape[1]} counts",
            n,
        ),
        Case(
            "purchase_distribution(52)",
            lambda: cm.purchase_distribution(state["bg"], summary, t=52.0),
            kernel,
            lambda: state["bg"].log_likelihood(summary),
            None,
            n,
        ),
        Case(
            "value_distribution(52)",
            lambda: cm.value_distribution(state["bg"], state["gg"], sub, t=52.0),
            kernel,
            lambda: state["bg"].log_likelihood(sub),
            None,
            len(sub),
            slow=True,
        ),
    ]


def segmentation_cases(
    data: Data, summary: pd.DataFrame, cal_summary: pd.DataFrame, state: dict[str, Any]
) -> list[Case]:
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    n = len(summary)
    base = summary.assign(
        since_last=summary["T"] - summary["recency"],
        value=summary["monetary_value"] * summary["frequency"],
    )
    km_X = base[["frequency", "since_last", "monetary_value"]]
    scaled = StandardScaler().fit_transform(np.log1p(km_X.to_numpy()))
    cases = []

    def rfm_floor() -> np.ndarray:
        codes = []
        for col, sign in (("since_last", -1), ("frequency", 1), ("monetary_value", 1)):
            v = sign * base[col].to_numpy()
            edges = np.quantile(v, [0.2, 0.4, 0.6, 0.8])
            codes.append(np.searchsorted(edges, v, side="right") + 1)
        return np.stack(codes, axis=1)

    cases.append(
        Case(
            "RFMScorer fit+transform",
            lambda: cm.RFMScorer().fit(base).transform(base),
            "numpy quantile + searchsorted",
            rfm_floor,
            None,
            n,
        )
    )

    def rfm_segments() -> pd.Series:
        state["segments"] = cm.RFMSegmenter().fit_assign(base)
        return state["segments"]

    cases.append(
        Case(
            "RFMSegmenter fit_assign",
            rfm_segments,
            "numpy quantile + searchsorted + np.select",
            lambda: np.select([c[:, 0] >= 4 for c in [rfm_floor()]], ["top"], "rest"),
            None,
            n,
            feeds=True,
        )
    )
    edges = [1, 3, 8]

    cases.append(
        Case(
            "RuleSegmenter(band_rules) fit_assign",
            lambda: cm.RuleSegmenter(cm.band_rules("frequency", edges)).fit_assign(base),
            "np.searchsorted",
            lambda: np.searchsorted(edges, base["frequency"].to_numpy(), side="right"),
            lambda o, f: verdict(
                float(np.mean(pd.factorize(o, sort=True)[0] != pd.factorize(f, sort=True)[0]))
            ),
            n,
        )
    )

    def abc_floor() -> np.ndarray:
        v = base["value"].to_numpy()
        order = np.argsort(-v, kind="stable")
        share = np.cumsum(v[order]) / v.sum()
        labels = np.empty(len(v), dtype=object)
        labels[order] = np.array(["A", "B", "C"], dtype=object)[
            np.searchsorted([0.8, 0.95], share - v[order] / v.sum(), side="right")
        ]
        return labels

    cases.append(
        Case(
            "ValueSegmenter('abc') fit_assign",
            lambda: cm.ValueSegmenter(value_col="value").fit_assign(base),
            "numpy argsort + cumsum",
            abc_floor,
            lambda o, f: f"{np.mean(np.asarray(o, dtype=object) == f):.4f} same",
            n,
        )
    )

    def km_auto() -> Any:
        state["km"] = cm.KMeansSegmenter(value_col="monetary_value", random_state=0).fit(km_X)
        return state["km"].predict(km_X)

    def km_peer() -> Any:
        k = int(state["km"].n_clusters_)
        return KMeans(k, n_init=3, random_state=0).fit(scaled).labels_

    cases.append(
        Case(
            "KMeansSegmenter('auto') fit+predict",
            km_auto,
            "sklearn KMeans(chosen k, n_init=3)",
            km_peer,
            lambda o, f: f"k={state['km'].n_clusters_}",
            n,
        )
    )
    cases.append(
        Case(
            "KMeansSegmenter(5) fit+predict",
            lambda: (
                cm.KMeansSegmenter(5, value_col="monetary_value", random_state=0)
                .fit(km_X)
                .predict(km_X)
            ),
            "sklearn KMeans(5, n_init=3)",
            lambda: KMeans(5, n_init=3, random_state=0).fit(scaled).labels_,
            None,
            n,
        )
    )
    features = ["frequency", "recency", "T", "monetary_value"]
    cases.append(
        Case(
            "segment_profile",
            lambda: cm.segment_profile(base, state["segments"], features=features),
            "pandas groupby mean + size",
            lambda: base[features].groupby(state["segments"].to_numpy()).agg(["mean", "size"]),
            None,
            n,
        )
    )

    def before() -> pd.Series:
        if "before" not in state:
            state["before"] = cm.RFMSegmenter().fit_assign(cal_summary)
        return state["before"]

    def migration_floor() -> pd.DataFrame:
        b, a = before(), state["segments"]
        idx = b.index.union(a.index)
        return pd.crosstab(
            b.reindex(idx).astype(object).fillna("(new)").to_numpy(),
            a.reindex(idx).astype(object).fillna("(gone)").to_numpy(),
        )

    before()
    cases.append(
        Case(
            "segment_migration",
            lambda: cm.segment_migration(before(), state["segments"]),
            "pd.crosstab on aligned ids",
            migration_floor,
            lambda o, f: verdict(abs(float(o.to_numpy().sum()) - float(f.to_numpy().sum()))),
            n,
        )
    )
    cases.append(
        Case(
            "explain_segments (tree, depth 3)",
            lambda: cm.explain_segments(base[features], state["segments"], max_depth=3),
            "sklearn DecisionTreeClassifier(max_depth=3)",
            lambda: DecisionTreeClassifier(max_depth=3, random_state=0).fit(
                base[features], state["segments"]
            ),
            lambda o, f: verdict(abs(o.accuracy - f.score(base[features], state["segments"]))),
            n,
        )
    )
    cases.append(
        Case(
            "behavior_features",
            lambda: cm.behavior_features(data.tx),
            "pandas sort + groupby",
            lambda: pandas_behavior(data.tx),
            lambda o, f: verdict(max_rel(o["aov"], f["aov"]), 1e-9),
            len(data.tx),
        )
    )
    return cases


def lifecycle_churn_cases(data: Data, summary: pd.DataFrame, state: dict[str, Any]) -> list[Case]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    n = len(summary)
    tx = data.tx
    dates = [pd.Timestamp(d) for d in ("2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31")]
    cases = []

    def stage_floor() -> np.ndarray:
        since = (summary["T"] - summary["recency"]).to_numpy() * WEEK
        age = summary["T"].to_numpy() * WEEK
        return np.select(
            [age <= 30, since > 180, since > 90, summary["frequency"].to_numpy() + 1 >= 4],
            ["new", "lapsed", "at_risk", "loyal"],
            "active",
        )

    cases.append(
        Case(
            "LifecycleStageClassifier fit+assign",
            lambda: cm.LifecycleStageClassifier().fit(summary).assign(summary),
            "np.select on the summary",
            stage_floor,
            lambda o, f: f"{np.mean(np.asarray(o, dtype=object) == f):.4f} same",
            n,
        )
    )
    cases.append(
        Case(
            "stages_at (4 quarter ends)",
            lambda: cm.stages_at(tx, dates),
            "pandas groupby per date",
            lambda: per_date_inputs(tx, dates),
            None,
            len(tx),
        )
    )
    cases.append(
        Case(
            "stage_transitions (4 quarter ends)",
            lambda: cm.stage_transitions(tx, dates),
            "pandas groupby per date",
            lambda: per_date_inputs(tx, dates),
            None,
            len(tx),
        )
    )

    def churn_check(o: Any, f: Any) -> str:
        X, y = o
        fx, fy = f
        diff = max(
            float(np.mean(y.sort_index().to_numpy() != fy.sort_index().to_numpy())),
            max_rel(
                X["monetary_total"].sort_index() if "monetary_total" in X else np.nan,
                fx["monetary_total"].sort_index(),
            ),
        )
        return verdict(diff, 1e-9)

    def dataset() -> Any:
        state["churn"] = churn_dataset_call(tx, CAL_END, horizon=HORIZON_DAYS, value_col="amount")
        return state["churn"]

    cases.append(
        Case(
            "churn_dataset (1 cutoff, value)",
            dataset,
            "pandas groupby",
            lambda: churn_floor(tx, CAL_END),
            churn_check,
            len(tx),
            feeds=True,
        )
    )
    cases.append(
        Case(
            "churn_features (value + channel)",
            lambda: cm.churn_features(
                tx,
                as_of=END,
                trend_window=HORIZON_DAYS,
                value_col="amount",
                channel_col="channel",
            ),
            "pandas groupby",
            lambda: churn_floor(tx, END)[0],
            None,
            len(tx),
        )
    )

    def classifier() -> Any:
        X, y = state["churn"]
        state["clf"] = cm.ChurnClassifier().fit(X, y)
        return state["clf"]

    def boosting_peer() -> Any:
        X, y = state["churn"]
        return HistGradientBoostingClassifier(random_state=0).fit(X.select_dtypes("number"), y)

    cases.append(
        Case(
            "ChurnClassifier() fit",
            classifier,
            "sklearn HistGradientBoostingClassifier",
            boosting_peer,
            lambda o, f: f"chose {o.chosen_model_}",
            len(state["churn"][0]) if "churn" in state else n,
            slow=True,
        )
    )

    def churn_probability() -> np.ndarray:
        X, _ = state["churn"]
        return state["clf"].predict_proba(X)[:, 1]

    def evaluate() -> Any:
        _, y = state["churn"]
        return cm.evaluate_churn(y, churn_probability())

    def evaluate_peer() -> Any:
        _, y = state["churn"]
        p = churn_probability()
        return roc_auc_score(y, p), average_precision_score(y, p), brier_score_loss(y, p)

    cases.append(
        Case(
            "evaluate_churn",
            evaluate,
            "sklearn roc_auc + average_precision + brier",
            evaluate_peer,
            lambda o, f: verdict(abs(o.roc_auc - f[0]) + abs(o.brier - f[2]), 1e-9),
            n,
        )
    )
    cases.append(
        Case(
            "PAliveChurnScorer.predict_proba",
            lambda: cm.PAliveChurnScorer(state["bg"]).predict_proba(summary),
            "probability_alive (kernel)",
            lambda: state["bg"].probability_alive(summary),
            lambda o, f: verdict(max_rel(np.asarray(o)[:, 1], 1.0 - np.asarray(f)), 1e-9),
            n,
        )
    )
    p_churn = pd.Series(1.0 - np.asarray(state["bg"].probability_alive(summary)), summary.index)
    value = summary["monetary_value"] * summary["frequency"]

    def targets_floor() -> np.ndarray:
        risk = p_churn.to_numpy() * value.to_numpy()
        order = np.argsort(-risk, kind="stable")
        return np.cumsum(risk[order])

    cases.append(
        Case(
            "retention_targets (budget n/10)",
            lambda: cm.retention_targets(p_churn, value, budget=n / 10),
            "numpy argsort + cumsum",
            targets_floor,
            lambda o, f: verdict(max_rel(o["cumulative_value_at_risk"], f), 1e-9),
            n,
        )
    )
    durations = data.contracts
    cases.append(
        Case(
            "kaplan_meier",
            lambda: cm.kaplan_meier(durations["duration"], durations["churned"]),
            "numpy unique + cumprod",
            lambda: km_floor(durations["duration"].to_numpy(), durations["churned"].to_numpy()),
            lambda o, f: (
                verdict(
                    max_rel(o.set_index(o.columns[0]).loc[f.index].iloc[:, 0].to_numpy(), f), 1e-9
                )
                if "survival" not in o
                else verdict(max_rel(o["survival"].to_numpy()[-len(f) :], f), 1e-9)
            ),
            len(durations),
        )
    )
    cases.append(
        Case(
            "cohort_retention (monthly)",
            lambda: cm.cohort_retention(tx, cohort="M"),
            "pandas drop_duplicates + groupby",
            lambda: cohort_floor(tx),
            lambda o, f: verdict(
                abs(float(np.nansum(o.to_numpy(dtype=float))) - float(np.nansum(f.to_numpy()))),
                1e-6,
            ),
            len(tx),
        )
    )
    return cases


def feedback_loyalty_cases(data: Data, state: dict[str, Any]) -> list[Case]:
    survey = data.survey
    n = len(survey)
    drivers = [f"driver_{j + 1}" for j in range(8)]
    cases = [
        Case(
            "nps",
            lambda: cm.nps(survey["nps_score"]),
            "numpy bincount",
            lambda: nps_floor(survey["nps_score"].to_numpy()),
            lambda o, f: verdict(abs(o.score - f), 1e-9),
            n,
        ),
        Case(
            "csat",
            lambda: cm.csat(survey["csat_score"]),
            "numpy mean",
            lambda: 100.0 * np.mean(survey["csat_score"].to_numpy() >= 4),
            lambda o, f: verdict(min(abs(o.score - f), abs(100 * o.score - f)), 1e-9),
            n,
        ),
        Case(
            "ces",
            lambda: cm.ces(survey["ces_score"]),
            "numpy mean + std",
            lambda: (survey["ces_score"].mean(), survey["ces_score"].std()),
            lambda o, f: verdict(abs(o.score - f[0]), 1e-9),
            n,
        ),
        Case(
            "nps_test (two halves)",
            lambda: cm.nps_test(survey["nps_score"].iloc[::2], survey["nps_score"].iloc[1::2]),
            "numpy bincount x 2",
            lambda: (
                nps_floor(survey["nps_score"].to_numpy()[::2]),
                nps_floor(survey["nps_score"].to_numpy()[1::2]),
            ),
            lambda o, f: verdict(abs(o.difference - (f[0] - f[1])), 1e-9),
            n,
        ),
        Case(
            "feedback_summary (nps by 12 regions)",
            lambda: cm.feedback_summary(survey, score_col="nps_score", by="region"),
            "pandas groupby + bincount",
            lambda: survey.groupby("region", observed=True)["nps_score"].agg(
                lambda s: nps_floor(s.to_numpy())
            ),
            lambda o, f: verdict(float(np.max(np.abs(o["score"].to_numpy() - f.to_numpy()))), 1e-9),
            n,
        ),
        Case(
            "key_drivers (8 drivers, 200 bootstraps)",
            lambda: key_drivers_call(survey, target="nps_score", drivers=drivers, random_state=0),
            "np.corrcoef + relative weights once",
            lambda: relative_weights(survey[["nps_score", *drivers]].to_numpy(dtype=float)),
            lambda o, f: verdict(
                max(max_rel(o["correlation"], f[0]), max_rel(o["relative_weight"], f[1])), 1e-9
            ),
            n,
        ),
    ]
    tiers = [("Base", 0), ("Silver", 500), ("Gold", 2000)]
    reviews = list(pd.date_range("2024-04-01", END, freq="QS"))
    tx = data.tx_refunds
    cases.append(
        Case(
            "LoyaltyProgram 365D rolling, quarterly review, refunds",
            lambda: loyalty_program(tiers, window="365D", review="QS").tiers_at(tx, as_of=END),
            "pandas window sums at each review + as_of",
            lambda: window_sums(tx, [r - pd.Timedelta(days=1) for r in reviews] + [END], 365),
            None,
            len(tx),
        )
    )
    return cases


def summary_cases(data: Data, state: dict[str, Any]) -> list[Case]:
    tx = data.tx
    cases = [
        Case(
            "rfm_summary (daily periods, weeks)",
            lambda: cm.rfm_summary(
                tx, value_col="amount", time_unit="W", observation_end=END.date().isoformat()
            ),
            "pandas groupby (customer, day)",
            lambda: pandas_summary(tx, END),
            lambda o, f: verdict(
                max(max_rel(o[c].sort_index(), f[c].sort_index()) for c in f.columns), 1e-9
            ),
            len(tx),
        ),
        Case(
            "rfm_summary refunds='net_period'",
            lambda: cm.rfm_summary(
                data.tx_refunds,
                value_col="amount",
                time_unit="W",
                observation_end=END.date().isoformat(),
                refunds="net_period",
            ),
            "pandas groupby (customer, day)",
            lambda: pandas_summary(data.tx_refunds, END),
            None,
            len(data.tx_refunds),
        ),
    ]

    def split_floor() -> pd.DataFrame:
        cut = CAL_END + pd.Timedelta(days=1)
        cal = pandas_summary(tx[tx["date"] < cut], CAL_END)
        hold = tx[tx["date"] >= cut]
        days = pd.DataFrame({"c": hold["customer_id"].to_numpy(), "d": day_index(hold["date"])})
        counts = days.drop_duplicates().groupby("c").size()
        cal["frequency_holdout"] = counts.reindex(cal.index, fill_value=0)
        return cal

    cases.append(
        Case(
            "calibration_holdout_split",
            lambda: cm.calibration_holdout_split(
                tx,
                calibration_end=CAL_END.date().isoformat(),
                observation_end=END.date().isoformat(),
                value_col="amount",
                time_unit="W",
            ),
            "pandas groupby x 2",
            split_floor,
            lambda o, f: verdict(
                max(
                    max_rel(o[c].sort_index(), f[c].sort_index())
                    for c in ("frequency", "recency", "T", "frequency_holdout")
                ),
                1e-9,
            ),
            len(tx),
        )
    )
    cases.append(
        Case(
            "split_customers (25%)",
            lambda: cm.split_customers(state["summary"], test_size=0.25, random_state=0),
            "numpy permutation + take",
            lambda: state["summary"].take(
                np.random.default_rng(0).permutation(len(state["summary"]))
            ),
            None,
            len(state["summary"]),
        )
    )
    try:
        import dask.dataframe as dd

        import customer_models.dask as cmd
    except ImportError:  # pragma: no cover - dask is optional
        return cases
    ddf = dd.from_pandas(tx, npartitions=4)
    cases.append(
        Case(
            "dask rfm_summary (4 partitions)",
            lambda: cmd.rfm_summary(
                ddf, value_col="amount", time_unit="W", observation_end=END.date().isoformat()
            ),
            "in-memory rfm_summary",
            lambda: cm.rfm_summary(
                tx, value_col="amount", time_unit="W", observation_end=END.date().isoformat()
            ),
            lambda o, f: verdict(
                max_rel(
                    (o.compute() if hasattr(o, "compute") else o)["T"].sort_index(),
                    f["T"].sort_index(),
                ),
                1e-12,
            ),
            len(tx),
        )
    )
    return cases


# -- the remaining public paths (issue #17: every name of customer_models.__all__) -------------

#: customer_models names that are not paths a user waits for, so no row: exceptions, result and
#: report classes, the base class, constants, metadata and the bundled data loaders.
NOT_PATHS = {
    # fitted on a few cohorts' survival counts (one sBG fit each): no per-customer path
    "CohortShiftedBetaGeoModel",
    # exceptions and warnings
    "ConvergenceWarning", "CustomerModelsError", "DataValidationError", "MissingColumnError",
    "ModelFileError", "NotFittedError", "ParameterError",
    # result classes (returned by timed paths) and the abstract base
    "CESResult", "CSATResult", "ChurnEvaluation", "ConvergenceReport", "FeedbackResult",
    "HoldoutEvaluation", "ModelComparison", "NPSResult", "NPSTestResult", "SegmentExplanation",
    "TierHistory", "ValuationModel",
    # metadata, rule builders and bundled data: no computation that grows with customers
    "__version__", "with_time_unit", "band_rules", "make_transactions", "load_cdnow_summary",
    "load_cdnow_transactions", "load_donations", "load_model",
}  # fmt: skip

#: public names exported while this table was being measured (issue #17 session): not rows
#: here yet; each is timed against its floor by the benchmark script named, so the table
#: points there. Move a name to COVERED when it gets a row.
ELSEWHERE = {
    # decision layer (and its rule declarations and report): bench_decision.py
    "Scorecard": "bench_decision.py",
    "HealthScore": "bench_decision.py",
    "health_components": "bench_decision.py",
    "snapshot_alerts": "bench_decision.py",
    "AlertReport": "bench_decision.py",
    "AliveDrop": "bench_decision.py",
    "GradeDrop": "bench_decision.py",
    "PurchasesBelowExpected": "bench_decision.py",
    "TierAtRisk": "bench_decision.py",
    # CNBD-k models and the summary column they need: bench_cnbd.py
    "BetaGeoCNBDModel": "bench_cnbd.py",
    "ModifiedBetaGeoCNBDModel": "bench_cnbd.py",
    "log_interpurchase_sum": "bench_cnbd.py",
    # covariate models: bench_covariates.py
    "BetaGeoCovariateModel": "bench_covariates.py",
    "ModifiedBetaGeoCovariateModel": "bench_covariates.py",
    "GammaGammaCovariateModel": "bench_covariates.py",
    "ParetoNBDCovariateModel": "bench_covariates.py",
    "BetaGeoBetaBinomCovariateModel": "bench_covariates_discrete.py",
    "ShiftedBetaGeoCovariateModel": "bench_covariates_discrete.py",
    "one_hot_covariates": "bench_covariates.py",
    # GGompertz/NBD: its fit at 20k customers is 90 s (README_paths.md): bench_new_models.py
    "GGompertzNBDModel": "bench_new_models.py",
    # uplift and budget allocation: bench_uplift.py
    "TwoModelUplift": "bench_uplift.py",
    "XLearnerUplift": "bench_uplift.py",
    "uplift_curve": "bench_uplift.py",
    "qini_curve": "bench_uplift.py",
    "auuc": "bench_uplift.py",
    "incremental_value": "bench_uplift.py",
    "allocate_budget": "bench_uplift.py",
    "BudgetPlan": "bench_uplift.py",
    "BetaDiscreteWeibullModel": "bench_bdw.py",
}

#: public name -> the row label (a prefix of a Case path) that times it
COVERED = {
    "rfm_summary": "rfm_summary (daily",
    "calibration_holdout_split": "calibration_holdout_split",
    "split_customers": "split_customers",
    "BetaGeoModel": "BetaGeoModel.fit",
    "NegativeBinomialModel": "NegativeBinomialModel.fit",
    "ParetoNBDModel": "ParetoNBDModel.fit",
    "ModifiedBetaGeoModel": "ModifiedBetaGeoModel.fit",
    "BetaGeoBetaBinomModel": "BetaGeoBetaBinomModel.fit",
    "ShiftedBetaGeoModel": "ShiftedBetaGeoModel.fit",
    "GammaGammaModel": "GammaGammaModel.fit",
    "customer_lifetime_value": "customer_lifetime_value (12",
    "confidence_interval": "confidence_interval",
    "evaluate_holdout": "evaluate_holdout",
    "transaction_tracking": "transaction_tracking",
    "frequency_fit": "frequency_fit",
    "probability_alive_at": "probability_alive_at",
    "next_purchase_cdf": "next_purchase_cdf",
    "next_purchase_quantile": "next_purchase_quantile",
    "purchase_pmf": "purchase_pmf",
    "purchase_distribution": "purchase_distribution",
    "value_distribution": "value_distribution",
    "RFMScorer": "RFMScorer",
    "RFMSegmenter": "RFMSegmenter",
    "RuleSegmenter": "RuleSegmenter",
    "ValueSegmenter": "ValueSegmenter",
    "KMeansSegmenter": "KMeansSegmenter",
    "segment_profile": "segment_profile",
    "segment_migration": "segment_migration",
    "explain_segments": "explain_segments",
    "behavior_features": "behavior_features",
    "LifecycleStageClassifier": "LifecycleStageClassifier",
    "stages_at": "stages_at",
    "stage_transitions": "stage_transitions",
    "churn_dataset": "churn_dataset",
    "churn_features": "churn_features",
    "ChurnClassifier": "ChurnClassifier",
    "evaluate_churn": "evaluate_churn",
    "PAliveChurnScorer": "PAliveChurnScorer",
    "retention_targets": "retention_targets",
    "kaplan_meier": "kaplan_meier",
    "cohort_retention": "cohort_retention",
    "nps": "nps",
    "csat": "csat",
    "ces": "ces",
    "nps_test": "nps_test",
    "feedback_summary": "feedback_summary",
    "key_drivers": "key_drivers",
    "LoyaltyProgram": "LoyaltyProgram",
    "compare_models": "compare_models",
    "estimate_regularity": "estimate_regularity",
    "make_holdout_summary": "make_holdout_summary",
    "prediction_interval": "prediction_interval",
    "profile_likelihood_intervals": "profile_likelihood_intervals",
    "model_to_json": "model_to_json",
    "model_from_json": "model_from_json",
}

#: customer_models.sql names -> row label (DuckDB in memory)
SQL_COVERED = {
    name: f"sql.{name}"
    for name in (
        "rfm_summary",
        "calibration_holdout_split",
        "write_scores",
        "probability_alive_expression",
        "rfm_score_expressions",
        "rfm_segment_expression",
        "stage_expression",
        "behavior_features",
        "memtable",
    )
}


def more_cases(
    data: Data, summary: pd.DataFrame, split: pd.DataFrame, state: dict[str, Any]
) -> list[Case]:
    """compare_models, estimate_regularity, the simulator, outcome and profile intervals, JSON."""
    import json

    tx = data.tx
    n = len(summary)
    sub = summary.iloc[: state["interval_customers"]]
    candidates = [cm.BetaGeoModel, cm.ModifiedBetaGeoModel, cm.ParetoNBDModel]

    def compare_floor() -> Any:  # what any comparison must do: each fit once, each holdout score
        return [cm.evaluate_holdout(c().fit(split), split) for c in candidates]

    def regularity_floor() -> float:
        """Wheat & Morrison: M = g1 / (g1 + g2) over each customer's last three purchase days."""
        days = pd.DataFrame({"c": tx["customer_id"].to_numpy(), "d": day_index(tx["date"])})
        days = days.drop_duplicates().sort_values(["c", "d"])
        c, d = days["c"].to_numpy(), days["d"].to_numpy()
        last3 = np.flatnonzero((c[2:] == c[:-2]) & np.append(c[3:] != c[2:-1], True))
        g1 = (d[last3 + 1] - d[last3]).astype(float)
        g2 = (d[last3 + 2] - d[last3 + 1]).astype(float)
        m = g1 / (g1 + g2)
        var_m = np.mean((m - 0.5) ** 2)
        return (1.0 - 4.0 * var_m) / (8.0 * var_m)

    params = {"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4}

    def simulate_floor() -> Any:
        """The BG/NBD process in numpy: rates, dropout, purchase times up to T + holdout."""
        rng = np.random.default_rng(0)
        lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
        p = rng.beta(params["a"], params["b"], n)
        T = rng.uniform(26.0, 39.0, n)
        # purchases until dropout: a geometric number of purchases, each gap exponential
        k = rng.geometric(p)
        end = T + 39.0
        owner = np.repeat(np.arange(n), np.minimum(k, 200))
        gaps = rng.exponential(1.0 / lam[owner])
        times = pd.Series(gaps).groupby(owner).cumsum().to_numpy()
        inside = times <= end[owner]
        cal = np.bincount(owner[inside & (times <= T[owner])], minlength=n)
        return cal, np.bincount(owner[inside], minlength=n) - cal

    model = state["bg"]
    text = cm.model_to_json(model)

    def json_floor() -> str:
        return json.dumps({k: float(v) for k, v in model.params_.items()})

    return [
        Case(
            "compare_models (BG/NBD, MBG/NBD, Pareto/NBD)",
            lambda: cm.compare_models(candidates, split),
            "3 x (fit + evaluate_holdout)",
            compare_floor,
            None,
            len(split),
            slow=True,
        ),
        Case(
            "estimate_regularity",
            lambda: cm.estimate_regularity(tx),
            "pandas drop_duplicates + sort + numpy (last 3 days)",
            regularity_floor,
            None,
            len(tx),
        ),
        Case(
            "make_holdout_summary (bgnbd)",
            lambda: cm.make_holdout_summary(n, params, random_state=0),
            "numpy BG/NBD process (<= 200 purchases each)",
            simulate_floor,
            None,
            n,
        ),
        Case(
            "prediction_interval(52) (no parameter uncertainty)",
            lambda: cm.prediction_interval(model, summary, t=52.0),
            "purchase_distribution(52)",
            lambda: cm.purchase_distribution(model, summary, t=52.0),
            lambda o, f: verdict(
                max_rel(o.iloc[:, -1], f.filter(like="upper").iloc[:, 0])
                if f.filter(like="upper").shape[1]
                else 0.0,
                1e-9,
            ),
            n,
        ),
        Case(
            "prediction_interval(52) (laplace, 100 draws)",
            lambda: cm.prediction_interval(
                model, sub, t=52.0, parameter_uncertainty=True, random_state=0
            ),
            "100 x purchase_distribution(52)",
            lambda: cm.purchase_distribution(model, sub, t=52.0),
            None,
            len(sub),
            lambda t: 100 * t,
            slow=True,
        ),
        Case(
            "profile_likelihood_intervals (BG/NBD, 4 parameters)",
            lambda: cm.profile_likelihood_intervals(model, summary),
            "BetaGeoModel.fit once",
            lambda: cm.BetaGeoModel().fit(summary),
            None,
            n,
            slow=True,
        ),
        Case(
            "model_to_json (BG/NBD)",
            lambda: cm.model_to_json(model),
            "json.dumps of params_",
            json_floor,
            None,
            1,
        ),
        Case(
            "model_from_json (BG/NBD)",
            lambda: cm.model_from_json(text),
            "json.loads",
            lambda: json.loads(text),
            lambda o, f: verdict(max_rel(o.params_.to_numpy(), model.params_.to_numpy()), 0.0),
            1,
        ),
    ]


def new_model_cases(summary: pd.DataFrame, state: dict[str, Any]) -> list[Case]:
    """Models added this session in private modules (not exported yet): fit + predictions."""
    out = []
    n = len(summary)
    specs = [
        ("nbd", "customer_models.valuation._nbd", "NegativeBinomialModel", {}),
        # GGompertzNBDModel (90 s to fit 20,000 customers under load) and the BG/CNBD-k
        # models (they need log inter-purchase sums, not in this summary) are timed by
        # bench_cnbd.py and README_paths.md says so; not table rows here.
    ]
    import importlib

    for name, module, cls_name, kwargs in specs:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
        except Exception as exc:  # someone mid-edit: say so in the table
            print(f"skipped {cls_name}: {type(exc).__name__}: {exc}", flush=True)
            continue
        label = cls_name + (f"(k={kwargs['k']})" if kwargs else "")

        def fit(cls: Any = cls, kwargs: dict = kwargs, name: str = name) -> Any:
            state[name] = cls(**kwargs).fit(summary)
            return state[name]

        out.append(
            Case(
                f"{label}.fit",
                fit,
                "n_iter x log_likelihood",
                lambda name=name: state[name].log_likelihood(summary),
                lambda m, _: f"{m.convergence_.n_iterations} iters",
                n,
                lambda t, name=name: t * max(state[name].convergence_.n_iterations, 1),
                slow=True,
            )
        )
        out.append(
            Case(
                f"{label} P(alive) + expected_purchases(52)",
                lambda name=name: (
                    state[name].probability_alive(summary),
                    state[name].expected_purchases(summary, t=52.0),
                ),
                "log_likelihood (kernel)",
                lambda name=name: state[name].log_likelihood(summary),
                None,
                n,
                slow=True,
            )
        )
    return out


def sql_cases(data: Data, summary: pd.DataFrame, state: dict[str, Any]) -> list[Case]:
    """customer_models.sql on DuckDB in memory, against hand SQL or the in-memory function."""
    try:
        import ibis
        import pyarrow as pa
        from bench_sql import HAND_SQL

        import customer_models.sql as cms
    except ImportError:  # pragma: no cover - the sql extra is optional
        return []
    tx = data.tx
    n = len(summary)
    con = ibis.duckdb.connect()
    table = con.create_table("tx", pa.Table.from_pandas(tx, preserve_index=False))
    summary_table = con.create_table(
        "summary", pa.Table.from_pandas(summary.reset_index(), preserve_index=False)
    )
    hand = HAND_SQL.format(table="tx", end=END.date())
    split = {  # the same split in DuckDB and in memory
        "calibration_end": CAL_END.date().isoformat(),
        "observation_end": END.date().isoformat(),
        "value_col": "amount",
        "time_unit": "W",
    }
    bg = state["bg"]
    scorer = cm.RFMScorer().fit(summary)
    segmenter = cm.RFMSegmenter().fit(summary)
    stages = cm.LifecycleStageClassifier(time_unit="W").fit(summary)
    scores = pd.DataFrame(
        {"probability_alive": np.asarray(bg.probability_alive(summary))}, index=summary.index
    )

    def fetch(expr: Any) -> pd.DataFrame:
        return summary_table.select(summary_table["customer_id"], value=expr).to_pandas()

    def write() -> Any:
        return cms.write_scores(con, "scores", scores, model=bg, overwrite=True)

    def write_floor() -> Any:
        con.con.register("scores_df", scores.reset_index())
        return con.con.sql("CREATE OR REPLACE TABLE scores_peer AS SELECT * FROM scores_df")

    def by_id(frame: pd.DataFrame) -> np.ndarray:
        return frame.set_index("customer_id")["value"].reindex(summary.index).to_numpy()

    return [
        Case(
            "sql.rfm_summary (DuckDB)",
            lambda: cms.rfm_summary(table, value_col="amount", time_unit="W", observation_end=END),
            "hand-written DuckDB SQL (Arrow out)",
            lambda: con.con.sql(hand).to_arrow_table().to_pandas(),
            None,
            len(tx),
        ),
        Case(
            "sql.calibration_holdout_split (DuckDB)",
            lambda: cms.calibration_holdout_split(table, **split),
            "in-memory calibration_holdout_split",
            lambda: cm.calibration_holdout_split(tx, **split),
            lambda o, f: verdict(
                max_rel(o["frequency_holdout"].sort_index(), f["frequency_holdout"].sort_index()),
                1e-12,
            ),
            len(tx),
        ),
        Case(
            "sql.behavior_features (DuckDB)",
            lambda: cms.behavior_features(table),
            "in-memory behavior_features",
            lambda: cm.behavior_features(tx),
            lambda o, f: verdict(max_rel(o["aov"].sort_index(), f["aov"].sort_index()), 1e-9),
            len(tx),
        ),
        Case(
            "sql.memtable (summary, counted in DuckDB)",
            lambda: cms.memtable(summary).count().to_pyarrow().as_py(),
            "ibis.memtable(pa.Table.from_pandas(summary.reset_index()))",
            lambda: (
                ibis.memtable(pa.Table.from_pandas(summary.reset_index(), preserve_index=False))
                .count()
                .to_pyarrow()
                .as_py()
            ),
            lambda o, f: "ok" if o == f == n else f"DIFF {o} vs {f}",
            n,
        ),
        Case(
            "sql.write_scores (DuckDB, 1 column)",
            write,
            "DuckDB CREATE TABLE AS from the frame",
            write_floor,
            None,
            n,
        ),
        Case(
            "sql.probability_alive_expression (DuckDB, fetched)",
            lambda: fetch(cms.probability_alive_expression(bg, summary_table, time_unit="W")),
            "in-memory probability_alive",
            lambda: bg.probability_alive(summary),
            lambda o, f: verdict(max_rel(by_id(o), np.asarray(f)), 1e-9),
            n,
        ),
        Case(
            "sql.rfm_score_expressions (DuckDB, fetched)",
            lambda: summary_table.select(
                summary_table["customer_id"], **cms.rfm_score_expressions(scorer, summary_table)
            ).to_pandas(),
            "in-memory RFMScorer.transform",
            lambda: scorer.transform(summary),
            None,
            n,
        ),
        Case(
            "sql.rfm_segment_expression (DuckDB, fetched)",
            lambda: fetch(cms.rfm_segment_expression(segmenter, summary_table)),
            "in-memory RFMSegmenter.assign",
            lambda: segmenter.assign(summary),
            lambda o, f: (
                f"{np.mean(by_id(o).astype(object) == np.asarray(f, dtype=object)):.4f} same"
            ),
            n,
        ),
        Case(
            "sql.stage_expression (DuckDB, fetched)",
            lambda: fetch(cms.stage_expression(stages, summary_table, time_unit="W")),
            "in-memory LifecycleStageClassifier.assign",
            lambda: stages.assign(summary),
            lambda o, f: (
                f"{np.mean(by_id(o).astype(object) == np.asarray(f, dtype=object)):.4f} same"
            ),
            n,
        ),
    ]


def run_size(
    n: int, repeat: int, only: list[str] | None, interval_customers: int
) -> list[dict[str, Any]]:
    start = time.perf_counter()
    data = generate(n)
    end_s = END.date().isoformat()
    summary = cm.rfm_summary(data.tx, value_col="amount", time_unit="W", observation_end=end_s)
    split = cm.calibration_holdout_split(
        data.tx,
        calibration_end=CAL_END.date().isoformat(),
        observation_end=end_s,
        value_col="amount",
        time_unit="W",
    )
    cal_summary = split[["frequency", "recency", "T", "monetary_value"]]
    state: dict[str, Any] = {
        "summary": summary,
        "bgbb_data": bgbb_data(data.tx),
        "interval_customers": min(n, interval_customers),
    }
    print(
        f"{n:,} customers: {len(data.tx):,} transactions ({len(data.tx) / n:.2f} per customer), "
        f"{len(data.tx_refunds) - len(data.tx):,} refund rows; "
        f"generated in {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    builders: list[Callable[[], list[Case]]] = [
        lambda: summary_cases(data, state),
        lambda: valuation_cases(data, summary, split, state),
        lambda: predictive_cases(summary, state),
        lambda: segmentation_cases(data, summary, cal_summary, state),
        lambda: lifecycle_churn_cases(data, summary, state),
        lambda: feedback_loyalty_cases(data, state),
        lambda: more_cases(data, summary, split, state),
        lambda: new_model_cases(summary, state),
        lambda: sql_cases(data, summary, state),
    ]
    rows = []
    for build in builders:
        for case in build():
            wanted = not only or any(w.lower() in case.path.lower() for w in only)
            if not (wanted or case.feeds or case.path.endswith(".fit")):
                continue
            row = run_case(case, repeat)
            print(" | ".join(str(v) for v in row.values()), flush=True)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--interval-customers",
        type=int,
        default=10_000,
        help="customers for the interval paths (the first ones of the summary, a random subset)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS/OpenMP threads (threadpoolctl), both sides"
    )
    parser.add_argument("--only", nargs="*", default=None, help="paths containing these words")
    args = parser.parse_args()
    print(machine(), f"numpy {np.__version__}, pandas {pd.__version__}, {cm.__version__=}")
    for n in args.customers:
        start = time.perf_counter()
        with threadpool_limits(args.threads):
            rows = run_size(n, args.repeat, args.only, args.interval_customers)
        print()
        print(f"{n:,} customers ({time.perf_counter() - start:.0f} s in all)")
        print_markdown_table(rows, right={"rows", "s", "floor s", "ratio", "peak MiB"})
        print()


if __name__ == "__main__":
    main()
