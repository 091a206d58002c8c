"""BG/NBD with covariates: ours against pymc-marketing's ``fit(method="map")``, one process.

Simulated customers from the generative process with known coefficients
(tests/valuation/_covariate_sim.py, the truth of bench_covariates.py): 5 standard-normal
covariates on the purchase process and on both dropout shapes, 15 coefficients. Both models
use the same parametrization and signs, ``alpha_i = alpha exp(-gamma'z)``,
``a_i = a exp(delta_a'z)``, ``b_i = b exp(delta_b'z)`` (pymc-marketing:
``purchase_coefficient_alpha``, ``dropout_coefficient_a``, ``dropout_coefficient_b``, with
``alpha_scale``, ``a_scale``, ``b_scale`` at z = 0). pymc-marketing gets flat priors
(``HalfFlat`` for r, alpha, a, b and ``Flat`` for the coefficients), and ``find_MAP``
optimizes without the Jacobian of its log transforms, so its MAP is the maximum-likelihood
estimate and both fits solve the same problem. Its time includes building and compiling
the PyMC model (what a user waits for in ``fit``), in wall seconds and in CPU seconds of the
process (less sensitive to other jobs on a shared machine); the first run on a machine also compiles
pytensor's C modules into its cache (~/.pytensor), which this script does not separate.
Peak memory is resident memory above the level before the fit, sampled every 5 ms, as a
multiple of the summary frame (frequency, recency, T and the 5 covariates; ours is given
that frame, pymc-marketing the same with its customer_id column).

Needs pymc-marketing (a separate venv is fine) and this package installed in it:

    python -m venv /work/scratch/pymc_venv
    /work/scratch/pymc_venv/bin/pip install pymc-marketing psutil -e .
    /work/scratch/pymc_venv/bin/python benchmarks/bench_covariates_pymc.py --n 10000 100000
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "valuation"))

from _common import PeakRSS, machine
from _covariate_sim import simulate_bgnbd

from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel

COLUMNS = [f"z{j}" for j in range(5)]
# the truth of bench_covariates.py
R, ALPHA, A, B = 0.8, 5.0, 0.8, 3.0
GAMMA = np.array([0.3, -0.2, 0.1, 0.0, 0.15])
DELTA_A = np.array([0.2, 0.0, -0.1, 0.1, 0.0])
DELTA_B = np.array([-0.1, 0.1, 0.0, 0.0, 0.2])


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 5))
    data = simulate_bgnbd(
        n, r=R, alpha=ALPHA, a=A, b=B, z_purchase=z, z_dropout=z,
        gamma=GAMMA, delta_a=DELTA_A, delta_b=DELTA_B, rng=rng,
    )  # fmt: skip
    for j, c in enumerate(COLUMNS):
        data[c] = z[:, j]
    data.insert(0, "customer_id", np.arange(n))
    data.attrs["time_unit"] = "W"
    return data


def timed(fn):
    """Wall seconds, CPU seconds of the process (all threads), peak MiB above baseline, result."""
    with PeakRSS() as mem:
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return elapsed, cpu, mem.peak_above_baseline_mb, out


def fit_ours(frame: pd.DataFrame) -> pd.Series:
    model = BetaGeoCovariateModel(COLUMNS, dropout_covariates=COLUMNS, time_unit="W")
    model.fit(frame)
    return model.params_


def fit_pymc(data: pd.DataFrame) -> pd.Series:
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel as PymcBetaGeo

    config = {
        "r": Prior("HalfFlat"),
        "alpha": Prior("HalfFlat"),
        "a": Prior("HalfFlat"),
        "b": Prior("HalfFlat"),
        "purchase_coefficient": Prior("Flat"),
        "dropout_coefficient": Prior("Flat"),
        "purchase_covariate_cols": COLUMNS,
        "dropout_covariate_cols": COLUMNS,
    }
    model = PymcBetaGeo(model_config=config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data, method="map", progressbar=False)
    post = model.idata.posterior
    values = {
        "r": float(post["r"].to_numpy().ravel()[0]),
        "alpha": float(post["alpha_scale"].to_numpy().ravel()[0]),
        "a": float(post["a_scale"].to_numpy().ravel()[0]),
        "b": float(post["b_scale"].to_numpy().ravel()[0]),
    }
    for ours, theirs in (
        ("gamma", "purchase_coefficient_alpha"),
        ("delta_a", "dropout_coefficient_a"),
        ("delta_b", "dropout_coefficient_b"),
    ):
        coefs = post[theirs].to_numpy().reshape(-1, len(COLUMNS))[0]
        values |= {f"{ours}:{c}": float(v) for c, v in zip(COLUMNS, coefs, strict=True)}
    return pd.Series(values)


def log_likelihood(params: pd.Series, frame: pd.DataFrame) -> float:
    """Our total log-likelihood at ``params`` (the same function both fits maximize)."""
    model = BetaGeoCovariateModel.from_params(time_unit="W", **params.to_dict())
    return model.log_likelihood(frame)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(machine(), "(measured under load: other jobs share the machine)")
    import pymc_marketing

    print(f"pymc-marketing {pymc_marketing.__version__}")
    truth = pd.Series(
        {"r": R, "alpha": ALPHA, "a": A, "b": B}
        | {f"gamma:{c}": v for c, v in zip(COLUMNS, GAMMA, strict=True)}
        | {f"delta_a:{c}": v for c, v in zip(COLUMNS, DELTA_A, strict=True)}
        | {f"delta_b:{c}": v for c, v in zip(COLUMNS, DELTA_B, strict=True)}
    )
    summary = []
    for n in args.n:
        data = simulate(n, 1)
        frame = data[["frequency", "recency", "T", *COLUMNS]]
        frame_mb = frame.memory_usage(index=True, deep=True).sum() / 2**20
        t_ours, cpu_ours, mb_ours, ours = timed(lambda frame=frame: fit_ours(frame))
        t_pymc, cpu_pymc, mb_pymc, theirs = timed(lambda data=data: fit_pymc(data))
        ll_ours, ll_pymc = log_likelihood(ours, frame), log_likelihood(theirs, frame)
        print(f"\n{n:,} customers; summary frame {frame_mb:.1f} MiB")
        table = pd.DataFrame({"truth": truth, "ours": ours[truth.index], "pymc MAP": theirs})
        table["difference"] = table["ours"] - table["pymc MAP"]
        print(table.round(4).to_string())
        print(f"log-likelihood: ours {ll_ours:.4f}, pymc MAP {ll_pymc:.4f}")
        summary.append(
            {
                "customers": f"{n:,}",
                "ours s": f"{t_ours:.2f}",
                "pymc MAP s": f"{t_pymc:.2f}",
                "ratio": f"{t_pymc / t_ours:.1f}x",
                "ours CPU s": f"{cpu_ours:.2f}",
                "pymc CPU s": f"{cpu_pymc:.2f}",
                "CPU ratio": f"{cpu_pymc / cpu_ours:.1f}x",
                "ours peak": f"{mb_ours / frame_mb:.2f}x",
                "pymc peak": f"{mb_pymc / frame_mb:.2f}x",
                "max |coef diff|": f"{float(table['difference'].iloc[4:].abs().max()):.1e}",
                "LL ours - pymc": f"{ll_ours - ll_pymc:.3g}",
            }
        )
    print()
    print("| " + " | ".join(summary[0]) + " |")
    print("|" + "---|" * len(summary[0]))
    for row in summary:
        print("| " + " | ".join(row.values()) + " |")


if __name__ == "__main__":
    main()
