"""Shared fixtures of the valuation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models import load_cdnow_summary, make_transactions

#: Per-week BG/NBD parameters of make_transactions (DEFAULT_SIMULATION_PARAMS).
SIM_PARAMS = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}
SIM_END = pd.Timestamp("2025-12-31")


def summarize_weeks(transactions: pd.DataFrame, end: pd.Timestamp = SIM_END) -> pd.DataFrame:
    """BTYD summary in weeks built by hand (distinct purchase days), independent of rfm_summary."""
    days = transactions[["customer_id", "date"]].drop_duplicates()
    g = days.groupby("customer_id")["date"]
    first, last, count = g.min(), g.max(), g.size()
    out = pd.DataFrame(
        {
            "frequency": (count - 1).astype(np.int64),
            "recency": (last - first).dt.days / 7.0,
            "T": (end - first).dt.days / 7.0,
        }
    )
    out.attrs["time_unit"] = "W"
    return out


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    return load_cdnow_summary()


@pytest.fixture(scope="session")
def simulated() -> pd.DataFrame:
    return summarize_weeks(make_transactions(20_000, random_state=7))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


def simulate_summary(
    n: int,
    params: dict[str, float],
    *,
    model: str = "bgnbd",
    T_max: float = 52.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate (frequency, recency, T) directly from the model's story (continuous time).

    ``model`` is "bgnbd" (drop out after each repeat purchase), "mbgnbd" (also at time 0) or
    "pareto" (exponential lifetime). T is uniform on [T_max / 2, T_max].
    """
    rng = np.random.default_rng(seed)
    T = rng.uniform(T_max / 2, T_max, n)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    if model == "pareto":
        mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
        end = np.minimum(rng.exponential(1.0, n) / mu, T)
        x = rng.poisson(lam * end).astype(float)
        u = rng.uniform(size=n)
        t_x = np.where(x > 0, end * u ** (1.0 / np.maximum(x, 1.0)), 0.0)
    else:
        p = rng.beta(params["a"], params["b"], n)
        alive = np.ones(n, dtype=bool)
        if model == "mbgnbd":
            alive = rng.uniform(size=n) >= p
        active = np.flatnonzero(alive)
        clock = np.zeros(active.size)
        while active.size:
            clock = clock + rng.exponential(1.0, active.size) / lam[active]
            bought = clock < T[active]
            x[active[bought]] += 1
            t_x[active[bought]] = clock[bought]
            survive = rng.uniform(size=active.size) >= p[active]
            keep = bought & survive
            active, clock = active[keep], clock[keep]
    out = pd.DataFrame({"frequency": x.astype(np.int64), "recency": t_x, "T": T})
    out.attrs["time_unit"] = "W"
    return out
