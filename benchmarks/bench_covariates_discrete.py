"""BG/BB and sBG with 5 continuous covariates at scale, against the plain models' fits.

One process; customers simulated from the models' generative processes with known
coefficients (tests/valuation/_covariate_sim_discrete.py). For each size it prints the fit
time of the plain model on the same customers (the floor: it compresses identical histories
into a few hundred patterns), the covariate fit, the scoring time, the peak resident memory
above the level before each step (also as a multiple of the summary frame), and the
recovered coefficients against the truth (z = (estimate - truth) / se).

    python benchmarks/bench_covariates_discrete.py                 # 100k and 1M customers
    python benchmarks/bench_covariates_discrete.py --n 100000 --models sbg
    python benchmarks/bench_covariates_discrete.py --n 1000000 --chord   # chord vs Newton
    python benchmarks/bench_covariates_discrete.py --n 20000 --recovery 40   # 95% coverage
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "valuation"))

from _common import machine
from _covariate_sim_discrete import simulate_bgbb, simulate_sbg
from bench_covariates import named, timed, timed_steps

from customer_models.valuation import BetaGeoBetaBinomModel, ShiftedBetaGeoModel
from customer_models.valuation._bgbb_covariates import (
    BetaGeoBetaBinomCovariateModel,
    bgbb_log_likelihood_rows,
    bgbb_rows_gradient_kernel,
    bgbb_rows_hessian_kernel,
)
from customer_models.valuation._sbg_covariates import ShiftedBetaGeoCovariateModel

COLUMNS = [f"z{j}" for j in range(5)]
# BG/BB: alpha 1.2, beta 0.8, gamma 0.6, delta 2.5 at z = 0
BGBB = {
    "alpha": np.array([0.3, -0.2, 0.1, 0.0, 0.15]),
    "beta": np.array([-0.1, 0.1, 0.0, 0.2, 0.0]),
    "gamma": np.array([0.25, 0.0, -0.15, 0.1, 0.0]),
    "delta": np.array([0.0, -0.2, 0.1, 0.0, 0.1]),
}
# sBG: alpha 0.8, beta 1.5 at z = 0
SBG = {
    "alpha": np.array([0.3, -0.2, 0.1, 0.0, 0.15]),
    "beta": np.array([-0.1, 0.2, 0.0, 0.1, 0.0]),
}


def _truth(coefs: dict[str, np.ndarray]) -> pd.Series:
    return pd.Series(named(coefs, COLUMNS))


def simulate_bgbb_base(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 5))
    data = simulate_bgbb(
        alpha=1.2, beta=0.8, gamma=0.6, delta=2.5, z_purchase=z, z_dropout=z,
        coef_alpha=BGBB["alpha"], coef_beta=BGBB["beta"], coef_gamma=BGBB["gamma"],
        coef_delta=BGBB["delta"], n_periods=rng.integers(4, 13, n), rng=rng,
    )  # fmt: skip
    for j, c in enumerate(COLUMNS):
        data[c] = z[:, j]
    data.attrs["time_unit"] = "Y"
    return data


def simulate_sbg_base(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 5))
    data = simulate_sbg(
        alpha=0.8, beta=1.5, z=z, coef_alpha=SBG["alpha"], coef_beta=SBG["beta"],
        horizon=rng.integers(4, 13, n), rng=rng,
    )  # fmt: skip
    for j, c in enumerate(COLUMNS):
        data[c] = z[:, j]
    data.attrs["time_unit"] = "M"
    return data


def _report(title: str, rows: list[tuple[str, float, float]], frame_mb: float) -> None:
    print(f"\n{title}\n\n| step | seconds | peak MiB | peak / frame |\n|---|---:|---:|---:|")
    for name, t, mb in rows:
        print(f"| {name} | {t:.2f} | {mb:.0f} | {mb / frame_mb:.2f}x |")


def _recovered(model, truth: pd.Series) -> None:
    print(model.convergence_.message)
    table = model.summary_.loc[truth.index, ["coef", "se"]].assign(truth=truth)
    table["z"] = (table["coef"] - table["truth"]) / table["se"]
    print(table.round(4).to_string())
    print(f"|z| < 1.96 for {int((table['z'].abs() < 1.959964).sum())} of {len(table)}")


def bgbb_rows(n: int) -> None:
    data = simulate_bgbb_base(n, 1)
    frame_mb = data.memory_usage(index=True, deep=True).sum() / 2**20
    histories = data[["frequency", "recency", "n_periods"]]
    model = BetaGeoBetaBinomCovariateModel(COLUMNS, dropout_covariates=COLUMNS, time_unit="Y")
    rows = timed_steps(
        [
            (
                "BG/BB without covariates (floor)",
                lambda: BetaGeoBetaBinomModel(time_unit="Y").fit(histories),
            ),
            ("BG/BB fit, 4 + 20 coefficients", lambda: model.fit(data)),
            (
                "score P(alive) + E[X(5)]",
                lambda: (model.probability_alive(data), model.expected_purchases(data, t=5)),
            ),
        ]
    )
    _report(f"BG/BB: {n:,} customers, 5 covariates; frame {frame_mb:.0f} MiB", rows, frame_mb)
    _recovered(model, _truth(BGBB))


def sbg_rows(n: int) -> None:
    data = simulate_sbg_base(n, 2)
    frame_mb = data.memory_usage(index=True, deep=True).sum() / 2**20
    model = ShiftedBetaGeoCovariateModel(COLUMNS, time_unit="M")
    rows = timed_steps(
        [
            (
                "sBG without covariates (floor)",
                lambda: ShiftedBetaGeoModel(time_unit="M").fit(data[["duration", "churned"]]),
            ),
            ("sBG fit, 2 + 10 coefficients", lambda: model.fit(data)),
            (
                "score DERL (d = 0.01)",
                lambda: model.expected_residual_lifetime(data, discount_rate=0.01),
            ),
        ]
    )
    _report(f"sBG: {n:,} customers, 5 covariates; frame {frame_mb:.0f} MiB", rows, frame_mb)
    _recovered(model, _truth(SBG))


def chord_vs_newton(n: int, repeat: int = 2) -> None:
    """The 1M BG/BB fit with chord steps (the model's choice) and with full Newton, alternating."""
    data = simulate_bgbb_base(n, 1)
    for _ in range(repeat):
        for label, gradient in (("chord", bgbb_rows_gradient_kernel), ("Newton", None)):
            model = BetaGeoBetaBinomCovariateModel(
                COLUMNS, dropout_covariates=COLUMNS, time_unit="Y"
            )
            t, _, _ = timed(
                lambda m=model, g=gradient: m._fit_through_links(
                    data, None, None, processes=("purchase", "dropout"),
                    null_model=BetaGeoBetaBinomModel(time_unit="Y"),
                    rows_kernel=bgbb_rows_hessian_kernel,
                    loglik_kernel=bgbb_log_likelihood_rows, gradient_kernel=g,
                )
            )  # fmt: skip
            print(
                f"{label}: {t:.2f} s, LL {model.log_likelihood_:.4f}; {model.convergence_.message}"
            )


def recovery(n_fits: int, n: int) -> None:
    """z-scores of repeated BG/BB and sBG fits on fresh simulations, coverage of 95% CIs."""
    cases = (
        ("BG/BB", _truth(BGBB), simulate_bgbb_base,
         lambda: BetaGeoBetaBinomCovariateModel(COLUMNS, dropout_covariates=COLUMNS)),
        ("sBG", _truth(SBG), simulate_sbg_base, lambda: ShiftedBetaGeoCovariateModel(COLUMNS)),
    )  # fmt: skip
    for name, truth, simulate, make in cases:
        zs = []
        for seed in range(n_fits):
            s = make().fit(simulate(n, 3000 + seed)).summary_.loc[truth.index]
            zs.append((s["coef"] - truth) / s["se"])
        frame = pd.DataFrame(zs)
        inside = frame.abs() < 1.959964
        table = pd.DataFrame(
            {"mean z": frame.mean(), "sd z": frame.std(), "coverage 95%": inside.mean()}
        )
        print(f"\n{name}: {n_fits} fits of {n:,} simulated customers")
        print(table.round(3).to_string())
        sd_all = float(np.std(frame.to_numpy(), ddof=1))
        print(f"overall: sd z {sd_all:.3f}, coverage {inside.to_numpy().mean():.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--models", choices=["all", "bgbb", "sbg"], default="all")
    parser.add_argument("--chord", action="store_true", help="BG/BB chord steps vs Newton")
    parser.add_argument("--recovery", type=int, default=0, help="repeated fits for coverage")
    args = parser.parse_args()
    print(machine(), "(measured under load: other jobs share the machine)")
    if args.recovery:
        recovery(args.recovery, args.n[-1])
        return
    if args.chord:
        chord_vs_newton(args.n[-1])
        return
    for n in args.n:
        if args.models in ("all", "bgbb"):
            bgbb_rows(n)
        if args.models in ("all", "sbg"):
            sbg_rows(n)


if __name__ == "__main__":
    main()
