"""Covariate models at scale: BG/NBD, Pareto/NBD and Gamma-Gamma with 5 continuous covariates.

One process, simulated customers from the models' generative processes with known
coefficients (tests/valuation/_covariate_sim.py). Prints fit times, the scoring time of
P(alive) + E[X(t)], the peak resident memory above the level before each step as a multiple
of the summary frame's size, the no-covariate fit on the same data (the floor: the same
customers without covariates), and the recovered coefficients against the truth.

    python benchmarks/bench_covariates.py --n 1000000
    python benchmarks/bench_covariates.py --n 100000 --recovery 100   # coverage of 95% CIs
    python benchmarks/bench_covariates.py --guide     # the example of docs/covariates.md
    python benchmarks/bench_covariates.py --n 1000000 --models pareto   # Pareto/NBD rows only
    python benchmarks/bench_covariates.py --n 1000000 --models pareto --daily
    python benchmarks/bench_covariates.py --n 20000 --models pareto --recovery 50

pymc-marketing is not compared in this version (see README_covariates.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "valuation"))

from _common import PeakRSS, machine
from _covariate_sim import simulate_bgnbd, simulate_pareto_nbd, simulate_spend

from customer_models.valuation import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel
from customer_models.valuation._gamma_gamma_covariates import (
    GammaGammaCovariateModel,
)
from customer_models.valuation._pareto_nbd_covariates import ParetoNBDCovariateModel

COLUMNS = [f"z{j}" for j in range(5)]
# BG/NBD and Gamma-Gamma at z = 0 (the benchmark's customers and the guide's)
BGNBD = {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 3.0}
SPEND = {"p": 6.0, "q": 4.0, "v": 15.0}
# BG/NBD: alpha_i = 5 exp(-gamma'z), a_i = 0.8 exp(delta_a'z), b_i = 3 exp(delta_b'z)
BGNBD_COEFS = {
    "gamma": np.array([0.3, -0.2, 0.1, 0.0, 0.15]),
    "delta_a": np.array([0.2, 0.0, -0.1, 0.1, 0.0]),
    "delta_b": np.array([-0.1, 0.1, 0.0, 0.0, 0.2]),
}
THETA = np.array([0.2, -0.1, 0.0, 0.1, 0.05])
# Pareto/NBD: alpha_i = 5 exp(-gamma'z), beta_i = 10 exp(-delta'z), r = 0.8, s = 0.6
PNBD_GAMMA = np.array([0.3, -0.2, 0.1, 0.0, 0.15])
PNBD_DELTA = np.array([0.25, 0.0, -0.15, 0.1, 0.0])


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 5))
    data = simulate_bgnbd(n, **BGNBD, z_purchase=z, z_dropout=z, **BGNBD_COEFS, rng=rng)
    data["monetary_value"] = simulate_spend(
        data["frequency"].to_numpy(), **SPEND, z=z, theta=THETA, rng=rng
    )
    for j, c in enumerate(COLUMNS):
        data[c] = z[:, j]
    data.attrs["time_unit"] = "W"
    return data


def simulate_pnbd(n: int, seed: int, daily: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 5))
    data = simulate_pareto_nbd(n, (0.8, 5.0, 0.6, 10.0), (z, z), (PNBD_GAMMA, PNBD_DELTA), rng=rng)
    if daily:  # recency and T on a daily grid (weeks), as a summary of daily dates is
        data["recency"] = np.round(data["recency"] * 7.0) / 7.0
        data["T"] = np.round(data["T"] * 7.0) / 7.0
    for j, c in enumerate(COLUMNS):
        data[c] = z[:, j]
    data.attrs["time_unit"] = "W"
    return data


def named(coefs: dict[str, np.ndarray], columns: list[str]) -> dict[str, float]:
    """``{"<prefix>:<column>": value}`` of the coefficient vectors ``{prefix: values}``."""
    return {
        f"{p}:{c}": v for p, values in coefs.items() for c, v in zip(columns, values, strict=True)
    }


PNBD_TRUTH = named({"gamma": PNBD_GAMMA, "delta": PNBD_DELTA}, COLUMNS)


def pareto_rows(n: int, daily: bool) -> None:
    """Pareto/NBD rows: floor, fit with 5 + 5 coefficients, scoring; recovered coefficients.

    The covariate fit includes the plain Pareto/NBD fit of the same customers (its start and
    the null model of the likelihood-ratio test); the time inside ``fit_links`` (sample
    start, chord steps, final Hessian) is reported separately. Beside the wall-clock
    seconds, the process CPU seconds: on a shared machine they vary far less than the wall
    clock (BLAS runs on one thread in the fit, so CPU seconds are one core's work).
    """
    import customer_models.valuation._covariate_model as covariate_model

    inner = []
    fit_links = covariate_model.fit_links

    def timed_fit_links(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        out = fit_links(*args, **kwargs)
        inner.append((time.perf_counter() - start, time.process_time() - cpu))
        return out

    def cpu_timed(name, fn):
        cpu = time.process_time()
        t, mb, _ = timed(fn)
        return name, t, time.process_time() - cpu, mb

    covariate_model.fit_links = timed_fit_links
    data = simulate_pnbd(n, 1, daily)
    frame_mb = data.memory_usage(index=True, deep=True).sum() / 2**20
    grid = "recency and T on a daily grid" if daily else "continuous recency and T"
    print(f"Pareto/NBD: {n:,} customers, 5 continuous covariates, {grid}; frame {frame_mb:.0f} MiB")
    model = ParetoNBDCovariateModel(COLUMNS, dropout_covariates=COLUMNS, time_unit="W")
    rows = [
        cpu_timed(
            "Pareto/NBD without covariates (floor)",
            lambda: ParetoNBDModel(time_unit="W").fit(data),
        ),
        cpu_timed("Pareto/NBD fit, 5 + 5 coefficients", lambda: model.fit(data)),
        ("  of which the covariate Newton (fit_links)", *inner[-1], float("nan")),
        cpu_timed(
            "score P(alive) + E[X(52)]",
            lambda: (model.probability_alive(data), model.expected_purchases(data, t=52)),
        ),
    ]
    print("\n| step | seconds | CPU seconds | peak MiB | peak / frame |\n|---|---:|---:|---:|---:|")
    for name, t, cpu, mb in rows:
        memory = "- | -" if np.isnan(mb) else f"{mb:.0f} | {mb / frame_mb:.2f}x"
        print(f"| {name} | {t:.2f} | {cpu:.2f} | {memory} |")
    print(f"\nPareto/NBD fit: {model.convergence_.message}")
    table = model.summary_.loc[list(PNBD_TRUTH), ["coef", "se"]].assign(truth=pd.Series(PNBD_TRUTH))
    table["z"] = (table["coef"] - table["truth"]) / table["se"]
    print(table.round(4).to_string())


def pareto_recovery(n_fits: int, n: int) -> None:
    """z-scores of repeated Pareto/NBD fits on fresh simulations, coverage of 95% CIs."""
    truth = pd.Series(PNBD_TRUTH)
    zs = []
    for seed in range(n_fits):
        fit = ParetoNBDCovariateModel(COLUMNS, dropout_covariates=COLUMNS, time_unit="W").fit(
            simulate_pnbd(n, 2000 + seed)
        )
        s = fit.summary_.loc[truth.index]
        zs.append((s["coef"] - truth) / s["se"])
    print_coverage("Pareto/NBD", pd.DataFrame(zs), n_fits, n)


def print_coverage(label: str, frame: pd.DataFrame, n_fits: int, n: int) -> None:
    """Mean and sd of the z-scores and coverage of the 95% intervals, per coefficient."""
    covered = frame.abs() < 1.959964
    out = pd.DataFrame(
        {"mean z": frame.mean(), "sd z": frame.std(), "coverage 95%": covered.mean()}
    )
    print(f"\n{label}: {n_fits} fits of {n:,} simulated customers")
    print(out.round(3).to_string())
    print(f"overall coverage {float(covered.to_numpy().mean()):.3f}")


def timed(fn):
    with PeakRSS() as mem:
        start = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - start
    return elapsed, mem.peak_above_baseline_mb, out


def timed_steps(steps: list[tuple[str, Callable[[], object]]]) -> list[tuple[str, float, float]]:
    """``(step, seconds, peak MiB above the level before it)`` of each step, run in order."""
    return [(name, *timed(fn)[:2]) for name, fn in steps]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--recovery", type=int, default=0, help="repeated fits for coverage")
    parser.add_argument("--recovery-n", type=int, default=20_000)
    parser.add_argument("--guide", action="store_true", help="the docs/covariates.md example")
    parser.add_argument(
        "--models", choices=["all", "bgnbd", "pareto"], default="all", help="which rows to run"
    )
    parser.add_argument("--daily", action="store_true", help="Pareto/NBD: times on a daily grid")
    args = parser.parse_args()
    if args.guide:
        guide()
        return
    print(machine(), "(measured under load: other jobs share the machine)")
    if args.models in ("all", "pareto"):
        pareto_rows(args.n, args.daily)
        if args.recovery:
            pareto_recovery(args.recovery, args.recovery_n)
        if args.models == "pareto":
            return
    data = simulate(args.n, 1)
    frame_mb = data.memory_usage(index=True, deep=True).sum() / 2**20
    print(f"{args.n:,} customers, 5 continuous covariates; summary frame {frame_mb:.0f} MiB")
    bg = BetaGeoCovariateModel(COLUMNS, dropout_covariates=COLUMNS, time_unit="W")
    gg = GammaGammaCovariateModel(COLUMNS)
    rows = timed_steps(
        [
            ("BG/NBD without covariates (floor)", lambda: BetaGeoModel(time_unit="W").fit(data)),
            ("BG/NBD fit, 5 + 5 + 5 coefficients", lambda: bg.fit(data)),
            (
                "score P(alive) + E[X(52)]",
                lambda: (bg.probability_alive(data), bg.expected_purchases(data, t=52)),
            ),
            ("Gamma-Gamma without covariates (floor)", lambda: GammaGammaModel().fit(data)),
            ("Gamma-Gamma fit, 5 coefficients", lambda: gg.fit(data)),
            ("score expected_spend", lambda: gg.expected_spend(data)),
        ]
    )
    print("\n| step | seconds | peak MiB | peak / frame |\n|---|---:|---:|---:|")
    for name, t, mb in rows:
        print(f"| {name} | {t:.2f} | {mb:.0f} | {mb / frame_mb:.2f}x |")
    print(f"\nBG/NBD fit: {bg.convergence_.message}")
    truth = named(BGNBD_COEFS, COLUMNS)
    table = bg.summary_.loc[list(truth), ["coef", "se"]].assign(truth=pd.Series(truth))
    table["z"] = (table["coef"] - table["truth"]) / table["se"]
    print(table.round(4).to_string())
    spend_truth = pd.Series(named({"theta": THETA}, COLUMNS))
    spend = gg.summary_.loc[spend_truth.index, ["coef", "se"]].assign(truth=spend_truth)
    spend["z"] = (spend["coef"] - spend["truth"]) / spend["se"]
    print(spend.round(4).to_string())
    if args.recovery:
        recovery(args.recovery, args.recovery_n, truth, spend_truth)


def recovery(n_fits: int, n: int, truth: dict, spend_truth: pd.Series) -> None:
    """z-scores of repeated fits on fresh simulations: mean, sd and coverage of 95% CIs."""
    zs, zs_spend = [], []
    for seed in range(n_fits):
        data = simulate(n, 1000 + seed)
        bg = BetaGeoCovariateModel(COLUMNS, dropout_covariates=COLUMNS, time_unit="W").fit(data)
        s = bg.summary_.loc[list(truth)]
        zs.append((s["coef"] - pd.Series(truth)) / s["se"])
        g = GammaGammaCovariateModel(COLUMNS).fit(data).summary_.loc[spend_truth.index]
        zs_spend.append((g["coef"] - spend_truth) / g["se"])
    for label, frame in (("BG/NBD", pd.DataFrame(zs)), ("Gamma-Gamma", pd.DataFrame(zs_spend))):
        print_coverage(label, frame, n_fits, n)


def guide() -> None:
    """The example of docs/covariates.md: acquisition channel and region, known truth."""
    from customer_models.valuation._covariates import one_hot_covariates

    rng = np.random.default_rng(7)
    n = 50_000
    channel = rng.choice(["shop", "web", "app"], n, p=[0.5, 0.3, 0.2])
    region = rng.choice(["north", "south"], n)
    z = np.column_stack([channel == "web", channel == "app", region == "south"]).astype(float)
    truth_gamma = np.array([0.3, 0.5, -0.2])  # web and app buy more often, south less
    truth_da = np.array([0.4, 0.0, 0.0])  # web customers drop out sooner
    truth_theta = np.array([0.0, 0.2, 0.0])  # app customers spend 22% more per purchase
    coefs = {"gamma": truth_gamma, "delta_a": truth_da, "delta_b": np.zeros(3)}
    data = simulate_bgnbd(n, **BGNBD, z_purchase=z, z_dropout=z, **coefs, rng=rng)
    data["monetary_value"] = simulate_spend(
        data["frequency"].to_numpy(), **SPEND, z=z, theta=truth_theta, rng=rng
    )
    data["channel"] = pd.Categorical(channel, categories=["shop", "web", "app"])
    data["region"] = region
    data.attrs["time_unit"] = "W"
    encoded = one_hot_covariates(data, ["channel", "region"])
    names = ["channel_web", "channel_app", "region_south"]
    bg = BetaGeoCovariateModel(names, dropout_covariates=names).fit(encoded)
    gg = GammaGammaCovariateModel(names).fit(encoded)
    truth = named({**coefs, "theta": truth_theta}, names)
    table = pd.concat([bg.summary_, gg.summary_.iloc[3:]])
    table = table.loc[list(truth), ["coef", "lower", "upper"]].assign(truth=pd.Series(truth))
    table["covered"] = (table["lower"] <= table["truth"]) & (table["truth"] <= table["upper"])
    print(table.round(3).to_string())
    print(bg.likelihood_ratio_test_.round(2).to_string())
    profiles = pd.DataFrame(
        {"channel_web": [0.0, 1.0, 0.0], "channel_app": [0.0, 0.0, 1.0], "region_south": 0.0},
        index=["shop, north", "web, north", "app, north"],
    )
    print(bg.expected_purchases_new_customer(t=52.0, covariates=profiles).round(3).to_string())
    print(gg.population_mean_spend(profiles).round(2).to_string())


if __name__ == "__main__":
    main()
