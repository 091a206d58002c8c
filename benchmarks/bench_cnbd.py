"""Fit time and peak memory of MBG/CNBD-k and BG/CNBD-k at 100k and 1M simulated customers.

The peers (BTYDplus' ``mbgcnbd.EstimateParameters``, R) cannot run here; the floor is this
library's MBG/NBD (BG/NBD) fit of the same summary in the same process, which is what the
profile's k = 1 step fits. Customers are simulated from MBG/CNBD-k (k = 3, the parameters of
BTYDplus' tests, weeks) with purchase times on days, as a daily log summarised in weeks: the
check is that the profile chooses k = 3 and that the k = 1 fit equals MBG/NBD's.

Run: ``python benchmarks/bench_cnbd.py [--sizes 100000 1000000]``.
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np
import pandas as pd
from _common import machine, measure, print_table

from customer_models.valuation import BetaGeoModel, ModifiedBetaGeoModel
from customer_models.valuation._cnbd import BetaGeoCNBDModel, ModifiedBetaGeoCNBDModel

TRUTH = {"k": 3, "r": 0.85, "alpha": 1.45, "a": 0.79, "b": 2.42}


def simulate(n: int, *, modified: bool, seed: int = 0) -> pd.DataFrame:
    """Summary of n customers: Erlang-3 gaps, purchases on days, ages of 1..2 years in weeks."""
    rng = np.random.default_rng(seed)
    k, r, alpha, a, b = TRUTH.values()
    T_days = rng.integers(52 * 7, 104 * 7, n).astype(np.float64)
    lam = rng.gamma(r, 1.0 / alpha, n)
    budget = rng.geometric(rng.beta(a, b, n)) - (1 if modified else 0)
    now, last_day = np.zeros(n), np.zeros(n)
    x, litt = np.zeros(n), np.zeros(n)
    made = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(budget > 0)
    while idx.size:
        now[idx] += rng.gamma(k, 1.0 / lam[idx])
        day = np.floor(now[idx] * 7.0)
        new = (day <= T_days[idx]) & (day > last_day[idx])  # same-day purchases are one
        c = idx[new]
        x[c] += 1
        litt[c] += np.log((day[new] - last_day[c]) / 7.0)
        last_day[c] = day[new]
        made[idx] += 1
        idx = idx[(made[idx] < budget[idx]) & (day <= T_days[idx])]
    out = pd.DataFrame(
        {
            "frequency": x,
            "recency": last_day / 7.0,
            "T": T_days / 7.0,
            "log_interpurchase_sum": litt,
        }
    )
    out.attrs["time_unit"] = "W"
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print(machine())
    rows: list[dict[str, object]] = []
    predictions: list[dict[str, object]] = []
    for modified in (True, False):
        cnbd, floor = (
            (ModifiedBetaGeoCNBDModel, ModifiedBetaGeoModel)
            if modified
            else (BetaGeoCNBDModel, BetaGeoModel)
        )
        for n in args.sizes:
            data = simulate(n, modified=modified, seed=n)
            repeat = 1 if n >= 1_000_000 else 3
            t_profile, mem_profile, profiled = measure(partial(cnbd().fit, data), repeat)
            t_fixed, _, fixed = measure(partial(cnbd(k=3).fit, data), repeat)
            t_k1, _, k1 = measure(partial(cnbd(k=1).fit, data), repeat)
            t_floor, mem_floor, ref = measure(partial(floor().fit, data), repeat)
            assert profiled.params_["k"] == 3, profiled.profile_
            assert abs(k1.log_likelihood_ - ref.log_likelihood_) < 1e-6 * abs(ref.log_likelihood_)
            rows.append(
                {
                    "model": cnbd.__name__,
                    "customers": n,
                    "profile (s)": round(t_profile, 2),
                    "fixed k=3 (s)": round(t_fixed, 2),
                    "k=1 (s)": round(t_k1, 2),
                    "floor": floor.__name__,
                    "floor (s)": round(t_floor, 2),
                    "profile / floor": round(t_profile / t_floor, 1),
                    "k=1 / floor": round(t_k1 / t_floor, 2),
                    "peak MiB profile": round(mem_profile, 1),
                    "peak MiB floor": round(mem_floor, 1),
                    "chosen k": int(profiled.params_["k"]),
                    "converged": bool(profiled.convergence_.success and fixed.convergence_.success),
                }
            )
            for name, call in (
                ("probability_alive", lambda m, d=data: m.probability_alive(d)),
                ("expected_purchases t=52", lambda m, d=data: m.expected_purchases(d, t=52.0)),
                (
                    "probability_of_purchases n=2 t=52",
                    lambda m, d=data: m.probability_of_purchases(d, n=2, t=52.0),
                ),
            ):
                t_ours, mem_ours, _ = measure(partial(call, fixed), 1)
                t_ref, mem_ref, _ = measure(partial(call, ref), 1)
                predictions.append(
                    {
                        "model": cnbd.__name__,
                        "customers": n,
                        "prediction": name,
                        "k=3 (s)": round(t_ours, 2),
                        "floor k=1 (s)": round(t_ref, 2),
                        "ratio": round(t_ours / t_ref, 1),
                        "peak MiB": round(mem_ours, 1),
                        "peak MiB floor": round(mem_ref, 1),
                    }
                )
    print_table(rows)
    print()
    print_table(predictions)


if __name__ == "__main__":
    main()
