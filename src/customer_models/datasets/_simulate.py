"""Seeded, vectorized simulator of a BG/NBD purchase process with Gamma-Gamma spend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from customer_models._time import US_PER_DAY, to_instant_us, us_to_datetime
from customer_models._validation import as_generator, check_number
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from customer_models.typing import RandomStateLike

__all__ = ["DEFAULT_SIMULATION_PARAMS", "make_transactions"]

#: Parameters in weeks: BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, v). The purchase
#: process is close to the CDNOW fit, with a somewhat higher purchase rate so that a customer
#: makes about five transactions over the default two years.
DEFAULT_SIMULATION_PARAMS: Mapping[str, float] = {
    "r": 0.5,
    "alpha": 4.0,
    "a": 0.8,
    "b": 2.5,
    "p": 6.25,
    "q": 3.74,
    "v": 15.44,
}

_DAYS_PER_WEEK = 7.0


def _repeat_purchase_times(
    rate: np.ndarray, n_alive: np.ndarray, horizon: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw the repeat purchase times of every customer, in rounds over the active ones.

    Customer i buys at the jumps of a Poisson process with ``rate[i]`` until either
    ``n_alive[i]`` repeat purchases were made (it then drops out) or ``horizon[i]`` is reached.
    Each round draws one inter-purchase gap for every customer still active, so the work is
    proportional to the number of transactions, not customers times rounds.
    """
    owners: list[np.ndarray] = []
    times: list[np.ndarray] = []
    active = np.flatnonzero(n_alive > 0)
    clock = np.zeros(active.size)
    made = np.zeros(active.size, dtype=np.int64)
    while active.size:
        clock = clock + rng.exponential(1.0, active.size) / rate[active]
        bought = clock < horizon[active]
        owners.append(active[bought])
        times.append(clock[bought])
        made = made + 1
        keep = bought & (made < n_alive[active])
        active, clock, made = active[keep], clock[keep], made[keep]
    return np.concatenate(owners), np.concatenate(times)


#: Dropout chances before the first repeat purchase: 1 (MBG/NBD) or 0 (BG/NBD).
_PROCESSES = {"mbgnbd": 1, "bgnbd": 0}


def make_transactions(
    n_customers: int,
    *,
    params: Mapping[str, float] | None = None,
    start: str | pd.Timestamp = "2024-01-01",
    end: str | pd.Timestamp = "2025-12-31",
    acquisition_days: int = 182,
    process: str = "mbgnbd",
    random_state: RandomStateLike = None,
) -> pd.DataFrame:
    """Simulate a transaction table from a BG/NBD-type purchase process with Gamma-Gamma spend.

    Each customer makes a first purchase on a day drawn uniformly from the first
    ``acquisition_days`` days after ``start``. While alive, they buy at the jumps of a Poisson
    process with rate ``lambda ~ Gamma(r, alpha)`` per week; after each purchase they drop out
    with probability ``p ~ Beta(a, b)``. With ``process="mbgnbd"`` (the default) the first
    purchase counts too, so customers may leave right after it: the MBG/NBD process (Batislam
    et al. 2007), which :class:`~customer_models.ModifiedBetaGeoModel` recovers. With
    ``process="bgnbd"`` only repeat purchases can end a customer's life, the BG/NBD process of
    Fader, Hardie and Lee (2005) that :class:`~customer_models.BetaGeoModel` recovers. Each
    transaction's amount is ``Gamma(p, nu)`` with ``nu ~ Gamma(q, v)`` per customer, as in the
    Gamma-Gamma spend model. Times are rounded down to days, so two purchases on one day are
    two rows. Observation ends at ``end``.

    Parameters
    ----------
    n_customers : int
        Number of customers (ids ``1..n_customers``).
    params : mapping, optional
        Any of ``r, alpha, a, b`` (BG/NBD, rates per week) and ``p, q, v`` (Gamma-Gamma);
        missing keys take :data:`DEFAULT_SIMULATION_PARAMS`.
    start, end : str or Timestamp
        First day of acquisition and last day of observation.
    acquisition_days : int, default 182
        Length of the window in which first purchases fall.
    process : {"mbgnbd", "bgnbd"}, default "mbgnbd"
        Whether customers can drop out right after their first purchase (MBG/NBD) or only
        after repeat purchases (BG/NBD).
    random_state : int, Generator, RandomState or None
        Seed for :func:`numpy.random.default_rng`; the output is a pure function of it.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (int64), ``date`` (datetime64), ``quantity`` (int64) and
        ``amount`` (float64, cents), sorted by customer and date.

    Examples
    --------
    >>> from customer_models import make_transactions
    >>> tx = make_transactions(1_000, random_state=42)
    >>> list(tx.columns)
    ['customer_id', 'date', 'quantity', 'amount']
    >>> int(tx["customer_id"].nunique())
    1000
    >>> bool((tx["amount"] > 0).all())
    True
    """
    n = check_number(n_customers, "n_customers", low=1, high=100_000_000, integer=True)
    acquisition_days = check_number(acquisition_days, "acquisition_days", low=1, integer=True)
    merged = dict(DEFAULT_SIMULATION_PARAMS)
    unknown = set(params or {}) - set(merged)
    if unknown:
        raise ParameterError(
            f"params has unknown keys {sorted(unknown)}; expected some of {sorted(merged)}."
        )
    merged.update(params or {})
    for key, value in merged.items():
        merged[key] = check_number(value, f"params[{key!r}]", low=0.0, low_inclusive=False)
    bad = [k for k, v in merged.items() if not (np.isfinite(v) and v > 0)]
    if bad:
        raise ParameterError(f"params {bad} must be finite and > 0.")
    if process not in _PROCESSES:
        raise ParameterError(f"process must be one of {sorted(_PROCESSES)}, got {process!r}.")
    start_day = to_instant_us(start, "start") // US_PER_DAY
    end_day = to_instant_us(end, "end") // US_PER_DAY
    start_ts, end_ts = us_to_datetime(np.array([start_day, end_day]) * US_PER_DAY)
    span_days = int(end_day - start_day)
    if span_days < 1 or not 1 <= acquisition_days <= span_days + 1:
        raise ParameterError(
            "need start < end and 1 <= acquisition_days <= days from start to end; got "
            f"start={start_ts.date()}, end={end_ts.date()}, acquisition_days={acquisition_days}."
        )

    rng = as_generator(random_state)
    birth_day = rng.integers(0, acquisition_days, n)
    rate_per_day = rng.gamma(merged["r"], 1.0 / merged["alpha"], n) / _DAYS_PER_WEEK
    rate_per_day = np.maximum(rate_per_day, np.finfo(float).tiny)
    dropout = rng.beta(merged["a"], merged["b"], n)
    # Repeat purchases made before dropping out: geometric on {0, 1, ...} when the first
    # purchase can end a life (MBG/NBD), on {1, 2, ...} when only repeat purchases can (BG/NBD).
    n_alive = rng.geometric(np.clip(dropout, 1e-12, 1.0)) - _PROCESSES[process]
    horizon = (span_days + 1 - birth_day).astype(float)
    owners, offsets = _repeat_purchase_times(rate_per_day, n_alive, horizon, rng)

    customer = np.concatenate([np.arange(n), owners])
    day = np.concatenate([birth_day, birth_day[owners] + np.floor(offsets).astype(np.int64)])
    order = np.lexsort((day, customer))
    customer, day = customer[order], day[order]

    nu = rng.gamma(merged["q"], 1.0 / merged["v"], n)
    amount = np.round(rng.gamma(merged["p"], 1.0, customer.size) / nu[customer], 2)
    amount = np.maximum(amount, 0.01)
    quantity = 1 + rng.poisson(np.minimum(amount / 15.0, 50.0))
    dates = start_ts.to_datetime64().astype("datetime64[D]") + day.astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "customer_id": customer.astype(np.int64) + 1,
            "date": dates.astype("datetime64[ns]"),
            "quantity": quantity.astype(np.int64),
            "amount": amount,
        }
    )
