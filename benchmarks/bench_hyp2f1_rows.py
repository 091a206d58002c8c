"""Scoring a BG/NBD covariate model at a million customers: the per-row series of E[X].

With per-customer ``alpha_i, a_i, b_i`` the hypergeometric series of the expected purchases is
a different series in every row. This script times, on the customers of
bench_covariates.py (5 continuous covariates, the true coefficients):

- the series alone, ``3F2(a, B+1, 1; c+1, 2; w)`` per row, by the per-row recurrence of
  ``_hyp2f1_rows.ratio_series_rows`` and by the block series ``_special.pfq_series`` that
  the expectation used before (same arguments, values compared);
- the public scoring, ``probability_alive`` + ``expected_purchases(t=52)``, and the kernels
  alone (without reading and validating the frame), in wall and CPU seconds.

Minimum of ``--repeat`` runs (default 3). Measure under load with care: wall seconds on a
shared machine vary by 2-3x, the CPU seconds much less.

    python benchmarks/bench_hyp2f1_rows.py --n 1000000
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, parse_size_and_repeat
from bench_covariates import BGNBD, BGNBD_COEFS, COLUMNS, named, simulate

from customer_models.valuation import _bgnbd_likelihood, _bgnbd_predictions
from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel
from customer_models.valuation._hyp2f1_rows import ratio_series_rows
from customer_models.valuation._special import pfq_series


def best(fn, repeat: int) -> tuple[float, float, object]:
    """Minimum wall and CPU seconds over ``repeat`` calls, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), out


def block_series(a, b1, c1, w, block: int = 16_384) -> np.ndarray:
    """The same sums by `pfq_series`, in the 16,384-row blocks the expectation used."""
    out = np.empty(w.size)
    for s in range(0, w.size, block):
        part = slice(s, s + block)
        ones = np.ones(w[part].size)
        out[part], _ = pfq_series([a[part], b1[part], ones], [c1[part], 2.0 * ones], w[part])
    return out


def main() -> None:
    args = parse_size_and_repeat("n", 1_000_000, 3)
    print(machine(), "(measured under load: other jobs share the machine)")
    data = simulate(args.n, 1)
    model = BetaGeoCovariateModel.from_params(time_unit="W", **BGNBD, **named(BGNBD_COEFS, COLUMNS))
    x, t_x, T, params, _ = model._rows(data)
    r, alpha, a, b = params
    # the series' arguments as in _bgnbd_predictions._mean_given_alive_series
    rp, bp, u = r + x, b + x, 52.0 / (alpha + T)
    c = a + bp - 1.0
    big_b, w = c - rp, u / (1.0 + u)
    args_series = (a, big_b + 1.0, c + 1.0, w)
    rows = []
    t_new, c_new, (new, ok) = best(lambda: ratio_series_rows(*args_series, shift=2.0), args.repeat)
    t_old, c_old, old = best(lambda: block_series(*args_series), args.repeat)
    print(
        f"\n{args.n:,} customers; series rows converged: {int(ok.sum()):,}; largest relative "
        f"difference between the two series: {float(np.max(np.abs(new / old - 1.0))):.1e}"
    )
    rows.append(("series, per-row recurrence (ratio_series_rows)", t_new, c_new))
    rows.append(("series, block series (pfq_series)", t_old, c_old))

    def kernels():
        _bgnbd_likelihood.probability_alive_kernel(params, x, t_x, T)
        return _bgnbd_predictions.expected_purchases_kernel(params, x, t_x, T, 52.0)

    def public():
        return model.probability_alive(data), model.expected_purchases(data, t=52.0)

    t, cpu, _ = best(kernels, args.repeat)
    rows.append(("kernels P(alive) + E[X(52)]", t, cpu))
    t, cpu, _ = best(public, args.repeat)
    rows.append(("score P(alive) + E[X(52)] (public methods)", t, cpu))
    print("\n| step | wall s | CPU s |\n|---|---:|---:|")
    for name, t, cpu in rows:
        print(f"| {name} | {t:.3f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()
