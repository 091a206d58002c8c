"""The generative process of GGompertz/NBD (and of other Poisson-purchase models), for the tests.

Independent of the library's kernels. Bemmaor and Glady (2012), section 2: a customer buys at
the jumps of a Poisson process with rate ``λ ~ Gamma(r, rate α)`` while alive; the lifetime
has hazard ``b η e^(bτ)``, i.e. survival ``exp(−η (e^(bτ) − 1))``, with ``η ~ Gamma(s, rate β)``
across customers, drawn by inversion as ``τ = log(1 + E/η)/b``, ``E ~ Exp(1)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_models import with_time_unit
from customer_models._inter_purchase import LOG_INTERPURCHASE_COLUMN


def gompertz_lifetimes(rng: np.random.Generator, n: int, b: float, s: float, beta: float):
    """``n`` gamma/Gompertz lifetimes: ``η ~ Gamma(s, rate β)``, then ``log(1 + E/η)/b``."""
    eta = rng.gamma(s, 1.0 / beta, n)
    return np.log1p(rng.exponential(size=n) / eta) / b


def simulate_ggompertz(
    n: int,
    params: dict,
    *,
    seed: int,
    T: float | tuple[float, float] = (20.0, 80.0),
    horizon: float = 0.0,
):
    """GGompertz/NBD summaries (weeks), the purchases in ``(T, T + horizon]``, alive at T.

    ``T`` is one age for everyone or a ``(low, high)`` span drawn uniformly. Given the
    active time ``min(τ, T)``, the count is Poisson and the last purchase time is the
    largest of ``x`` uniform times on it.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    tau = gompertz_lifetimes(rng, n, params["b"], params["s"], params["beta"])
    ages = rng.uniform(*T, n) if isinstance(T, tuple) else np.full(n, float(T))
    active = np.minimum(tau, ages)
    x = rng.poisson(lam * active)
    t_x = np.where(x > 0, active * rng.uniform(size=n) ** (1.0 / np.maximum(x, 1)), 0.0)
    future = rng.poisson(lam * np.clip(np.minimum(tau, ages + horizon) - ages, 0.0, None))
    data = pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": ages})
    return with_time_unit(data, "W"), future, tau > ages


def simulate_poisson_log(
    rng: np.random.Generator, lam: np.ndarray, lifetime: np.ndarray, T: np.ndarray, holdout: float
) -> pd.DataFrame:
    """Poisson purchases at rate ``lam`` until ``lifetime``, with every purchase time.

    Returns the calibration summary with the sum of log inter-purchase times (what BG/CNBD-k
    needs) and the holdout counts in ``(T, T + holdout]``, as ``calibration_holdout_split``
    names them. On an active span the count is Poisson and the times are uniform, sorted per
    customer; the holdout count is Poisson on the holdout's active span.
    """
    n = lam.size
    active = np.minimum(lifetime, T)
    x = rng.poisson(lam * active)
    future = rng.poisson(lam * np.clip(np.minimum(lifetime, T + holdout) - T, 0.0, None))
    owner = np.repeat(np.arange(n), x)
    times = rng.uniform(size=owner.size) * active[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    first = np.ones(owner.size, dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    previous = np.where(first, 0.0, np.roll(times, 1))
    litt = np.bincount(owner, weights=np.log(times - previous), minlength=n)
    t_x = np.zeros(n)
    np.maximum.at(t_x, owner, times)
    data = pd.DataFrame(
        {
            "frequency": x.astype(float),
            "recency": t_x,
            "T": T,
            LOG_INTERPURCHASE_COLUMN: litt,
            "frequency_holdout": future.astype(float),
            "duration_holdout": np.full(n, holdout),
        }
    )
    return with_time_unit(data, "W")
