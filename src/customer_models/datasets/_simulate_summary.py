"""Seeded calibration/holdout summaries simulated from a BTYD model's generative process.

Where :func:`~customer_models.make_transactions` writes a transaction log, this writes the
frame :func:`~customer_models.calibration_holdout_split` would make of one, straight from the
model's story in continuous time: the way to check that a model (or ``compare_models``)
recovers the process that made the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from customer_models._validation import as_generator, check_choice, check_number
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from customer_models.typing import RandomStateLike

__all__ = ["SUMMARY_PROCESSES", "make_holdout_summary"]

#: The parameters each process needs (rates per unit of time of the summary).
SUMMARY_PROCESSES: Mapping[str, tuple[str, ...]] = {
    "nbd": ("r", "alpha"),
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
}


def _poisson_until(
    lam: np.ndarray, lifetime: np.ndarray, T: np.ndarray, end: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the counts and last purchase time of a Poisson process stopped at ``lifetime``.

    Given ``x`` events in ``[0, span]``, the last one is at ``span * U**(1/x)``.
    """
    span = np.minimum(lifetime, T)
    x = rng.poisson(lam * span).astype(np.float64)
    t_x = np.where(x > 0, span * rng.uniform(size=x.size) ** (1.0 / np.maximum(x, 1.0)), 0.0)
    x_hold = rng.poisson(lam * np.clip(np.minimum(lifetime, end) - T, 0.0, None))
    return x, t_x, x_hold.astype(np.float64)


def _bg_rounds(
    lam: np.ndarray,
    p: np.ndarray,
    alive: np.ndarray,
    T: np.ndarray,
    end: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BG dropout: after each repeat purchase the customer leaves with probability ``p``.

    Each round draws one gap for every customer still active, so the work grows with the
    number of purchases, not customers times rounds.
    """
    n = lam.size
    x, t_x, x_hold = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.flatnonzero(alive)
    clock = np.zeros(active.size)
    while active.size:
        clock = clock + rng.exponential(1.0, active.size) / lam[active]
        bought = clock < end[active]
        calibration = bought & (clock < T[active])
        x[active[calibration]] += 1
        t_x[active[calibration]] = clock[calibration]
        x_hold[active[bought & ~calibration]] += 1
        keep = bought & (rng.uniform(size=active.size) >= p[active])
        active, clock = active[keep], clock[keep]
    return x, t_x, x_hold


def _check_params(process: str, params: Mapping[str, float]) -> dict[str, float]:
    names = SUMMARY_PROCESSES[process]
    if not isinstance(params, Mapping):
        raise ParameterError(f"params must be a mapping of {list(names)}, got {params!r}.")
    missing = [k for k in names if k not in params]
    extra = sorted(set(params) - set(names))
    if missing or extra:
        raise ParameterError(
            f"params of process {process!r} must be exactly {list(names)}; "
            f"missing {missing}, unknown {extra}."
        )
    return {
        k: check_number(params[k], f"params[{k!r}]", low=0.0, low_inclusive=False, high=1e12)
        for k in names
    }


def make_holdout_summary(
    n_customers: int,
    params: Mapping[str, float],
    *,
    process: str = "bgnbd",
    calibration_span: tuple[float, float] = (26.0, 39.0),
    holdout: float = 39.0,
    time_unit: str = "W",
    random_state: RandomStateLike = None,
) -> pd.DataFrame:
    """Simulate a calibration summary and holdout counts from a BTYD model's process.

    Each customer's ``T`` (time from first purchase to the calibration end) is uniform on
    ``calibration_span``. While alive, the customer buys at the jumps of a Poisson process with
    rate ``λ ~ Gamma(r, α)`` (``α`` a rate per unit of time). Dropout by process:

    - ``"nbd"``: nobody leaves;
    - ``"pareto_nbd"``: an exponential lifetime with rate ``μ ~ Gamma(s, β)``;
    - ``"bgnbd"``: after each repeat purchase, leave with probability ``p ~ Beta(a, b)``;
    - ``"mbgnbd"``: the same, and also right after the first purchase.

    Parameters
    ----------
    n_customers : int
        Number of customers (index ``0..n_customers - 1``).
    params : mapping
        Exactly the parameters of ``process`` (:data:`SUMMARY_PROCESSES`).
    process : {"nbd", "bgnbd", "mbgnbd", "pareto_nbd"}, default "bgnbd"
        The generative process.
    calibration_span : (float, float), default (26, 39)
        Range of ``T``, uniform.
    holdout : float, default 39
        Length of the holdout period after each customer's calibration end.
    time_unit : str, default "W"
        Unit written into ``attrs["time_unit"]`` (the unit of the rates in ``params``).
    random_state : int, Generator, RandomState or None
        Seed; the output is a pure function of it.

    Returns
    -------
    pandas.DataFrame
        ``frequency`` (int64), ``recency``, ``T``, ``frequency_holdout`` (int64) and
        ``duration_holdout``, the columns of
        :func:`~customer_models.calibration_holdout_split`.

    Examples
    --------
    >>> from customer_models.datasets import make_holdout_summary
    >>> data = make_holdout_summary(
    ...     1_000, {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}, random_state=0)
    >>> list(data.columns)
    ['frequency', 'recency', 'T', 'frequency_holdout', 'duration_holdout']
    >>> bool((data["recency"] <= data["T"]).all()), data.attrs["time_unit"]
    (True, 'W')
    """
    n = check_number(n_customers, "n_customers", low=1, high=100_000_000, integer=True)
    process = check_choice(process, "process", tuple(SUMMARY_PROCESSES))
    values = _check_params(process, params)
    if not (isinstance(calibration_span, (tuple, list)) and len(calibration_span) == 2):
        raise ParameterError(f"calibration_span must be (low, high), got {calibration_span!r}.")
    low = check_number(calibration_span[0], "calibration_span[0]", low=0.0, low_inclusive=False)
    high = check_number(calibration_span[1], "calibration_span[1]", low=low)
    holdout = check_number(holdout, "holdout", low=0.0, low_inclusive=False, high=1e9)
    rng = as_generator(random_state)
    T = rng.uniform(low, high, n)
    end = T + holdout
    lam = rng.gamma(values["r"], 1.0 / values["alpha"], n)
    if process in ("nbd", "pareto_nbd"):
        if process == "nbd":
            lifetime = np.full(n, np.inf)
        else:
            mu = rng.gamma(values["s"], 1.0 / values["beta"], n)
            lifetime = rng.exponential(1.0, n) / mu
        x, t_x, x_hold = _poisson_until(lam, lifetime, T, end, rng)
    else:
        p = rng.beta(values["a"], values["b"], n)
        alive = np.ones(n, dtype=bool) if process == "bgnbd" else rng.uniform(size=n) >= p
        x, t_x, x_hold = _bg_rounds(lam, p, alive, T, end, rng)
    out = pd.DataFrame(
        {
            "frequency": x.astype(np.int64),
            "recency": t_x,
            "T": T,
            "frequency_holdout": x_hold.astype(np.int64),
            "duration_holdout": np.full(n, holdout),
        }
    )
    out.attrs["time_unit"] = time_unit
    return out
