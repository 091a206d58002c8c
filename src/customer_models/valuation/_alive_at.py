"""P(alive at T + t): each customer's probability of still being alive ``t`` after ``T``.

``P(alive at T + t | history) = P(alive at T) × P(alive at T + t | alive at T)``, the second
factor a closed form per model (see :func:`probability_alive_at`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln

from customer_models._polars import polars_out
from customer_models._validation import as_pandas, check_number
from customer_models.exceptions import CustomerModelsError, ParameterError
from customer_models.valuation._bgbb import BetaGeoBetaBinomModel
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._btyd_common import in_chunks
from customer_models.valuation._cnbd import BetaGeoCNBDModel
from customer_models.valuation._cnbd_likelihood import erlang_k, phase_weights
from customer_models.valuation._ggompertz_nbd import GGompertzNBDModel
from customer_models.valuation._mbgnbd import ModifiedBetaGeoModel
from customer_models.valuation._nbd import NegativeBinomialModel
from customer_models.valuation._pareto_nbd import ParetoNBDModel
from customer_models.valuation._patterns import on_distinct_rows
from customer_models.valuation._special import pfq_series

__all__ = ["probability_alive_at"]

#: Terms of the positive 2F1 series of the BG-family survival before it is refused.
_SURVIVAL_MAX_TERMS = 200_000
#: Rows per block of the survival series (its temporaries are rows x terms).
_SURVIVAL_BLOCK = 16_384
#: Purchases per block of the BG/CNBD-k survival sum, and the relative rest where a row stops.
_CNBD_BLOCK = 64
_CNBD_TAIL = 1e-16


def _bg_survival(params: np.ndarray, x: np.ndarray, T: np.ndarray, t: float, shift: float) -> Any:
    """P(alive at T+t | alive at T) of the BG family: ``E[(1 + p t/(α+T))^-(r+x)]``.

    Alive at ``T`` the posterior is ``λ ~ Gamma(r+x, α+T)``, ``p ~ Beta(a, b+x+shift)``; dropout
    happens only at a purchase (with probability ``p``), so a customer alive at ``T`` is alive
    at ``T+t`` with probability ``E[(1-p)^N] = exp(-λ p t)`` for ``N ~ Poisson(λ t)`` purchases;
    integrating ``λ`` gives ``(1 + p u)^-r'`` with ``u = t/(α+T)``, and ``p`` gives
    ``2F1(r', a; a+b'; -u) = (1+u)^-r' 2F1(r', b'; a+b'; u/(1+u))`` (Pfaff), a series of
    positive terms.
    """

    # it depends on the customer only through (x, T); blocks bound the series' temporaries
    def blocks(xd: np.ndarray, Td: np.ndarray) -> np.ndarray:
        return in_chunks(
            lambda xb, Tb: _bg_survival_rows(params, xb, Tb, t, shift), _SURVIVAL_BLOCK, xd, Td
        )

    return on_distinct_rows(blocks, (x, T))


def _bg_survival_rows(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, t: float, shift: float
) -> np.ndarray:
    r, alpha, a, b = (float(v) for v in params)
    rp = r + x
    bp = b + x + shift
    u = t / (alpha + T)
    w = u / (1.0 + u)
    series, ok = pfq_series([rp, bp], [a + bp], w, max_terms=_SURVIVAL_MAX_TERMS)
    if not np.all(ok):
        raise CustomerModelsError(
            f"P(alive at T+t) needs more than {_SURVIVAL_MAX_TERMS} series terms for "
            f"{int((~ok).sum())} histories (t = {t:g} is very long against alpha + T); use a "
            "shorter t."
        )
    return np.asarray(np.exp(-rp * np.log1p(u) + np.log(series)))


def _gompertz_survival(params: np.ndarray, T: np.ndarray, t: float) -> np.ndarray:
    """GGompertz/NBD ``P(alive at T+t | alive at T) = S(T+t) / S(T)``.

    ``S(τ) = (β / (β + e^(bτ) − 1))^s``; alive at ``T`` the purchases carry no information on
    the lifetime beyond ``τ > T`` (given ``η``, purchases are Poisson whatever the lifetime
    left), so the ratio of the marginal survivals is the conditional one. In logs with
    ``expm1``/``log1p`` so a near-zero ``b`` (the Pareto/NBD limit) keeps its digits.
    """
    b, s, beta = params[2], params[3], params[4]

    def log_denominator(tau: np.ndarray) -> np.ndarray:  # log(β + e^(bτ) − 1) − log β
        return np.log1p(np.expm1(b * tau) / beta)

    return np.asarray(np.exp(-s * (log_denominator(T + t) - log_denominator(T))))


def _cnbd_survival(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float, modified: bool
) -> np.ndarray:
    """BG/CNBD-k (MBG/CNBD-k) ``P(alive at T+t | alive at T)``.

    Given alive at ``T`` with ``J = j`` Erlang phases completed since the last purchase
    (posterior weights ``w_j``, :func:`~customer_models.valuation._cnbd_likelihood.
    phase_weights`), the phases in ``(T, T+t]`` are ``I ~ NB(R + j, q = t/(α+T+t))``,
    ``R = r + k x``, and ``L = floor((I + j) / k)`` purchases would fall there; the customer
    is still alive at ``T+t`` if it survived the coin after each of them, with chance
    ``c_(L+1) = B(a, b'+L) / B(a, b')`` (``p ~ Beta(a, b')``, ``b' = b + x`` (+1 modified)).
    So ``S = sum_j w_j sum_(i>=0) NB(i; R+j, q) c_(floor((i+j)/k)+1)``.
    """
    k = erlang_k(params)
    r, alpha = float(params[1]), float(params[2])
    weights = phase_weights(r + k * x, (T - t_x) / (alpha + T), k)[1]
    total = np.zeros(x.size)
    for j in range(k):  # the phase sums depend on (x, T) only: once per distinct pair
        given = on_distinct_rows(
            lambda xd, Td, j=j: _cnbd_phase_survival(params, xd, Td, t, j, modified), (x, T)
        )
        total += weights[j] * given
    return total


def _cnbd_phase_survival(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, t: float, j: int, modified: bool
) -> np.ndarray:
    """``sum_(i>=0) NB(i; R+j, q) c_(floor((i+j)/k)+1)`` per row: positive terms, no difference.

    ``i`` counts the phases in ``(T, T+t]``; the terms are evaluated in blocks from log-gamma
    functions, and a row stops once the bound ``NB(i) ρ/(1-ρ)`` on its rest (``ρ`` the
    largest later term ratio; every ``c <= 1``) is below 1e-16 of its sum.
    """
    if t <= 0.0:
        return np.ones(x.size)
    k = erlang_k(params)
    r, alpha, a, b = (float(v) for v in params[1:])
    shape = r + k * x + j
    bp = b + x + (1.0 if modified else 0.0)
    log_q = np.log(t) - np.log(alpha + T + t)
    log_1mq = np.log(alpha + T) - np.log(alpha + T + t)
    q = np.exp(log_q)
    base = shape * log_1mq - gammaln(shape)
    survive = np.zeros(x.size)
    rows = np.arange(x.size)
    log_c = np.zeros(x.size)  # log c_(L0+1) at the block's first level (c_1 = 1)
    levels = np.arange(_CNBD_BLOCK, dtype=np.float64)
    first = 0  # the block's first level L0: its phases are L0 k - j ... (L0 + BLOCK) k - j - 1
    while rows.size:
        # c_(L+1) = c_L (b'+L-1)/(a+b'+L-1): a running product, not one betaln per term
        step = np.log(bp[rows, None] + first + levels) - np.log(a + bp[rows, None] + first + levels)
        log_coins = log_c[rows, None] + np.cumsum(step, axis=1) - step
        i = first * k - j + np.arange(_CNBD_BLOCK * k, dtype=np.float64)[None, :]
        valid = i >= 0
        ii = np.maximum(i, 0.0)
        # log NB(i): log-gammas at the block's first phase, then the term ratios q (R+i)/(i+1)
        head = ii[:, :1]
        log_nb0 = gammaln(shape[rows, None] + head) - gammaln(head + 1.0) + base[rows, None]
        log_nb0 = log_nb0 + head * log_q[rows, None]
        prev = ii[:, :-1]
        ratio_log = log_q[rows, None] + np.log((shape[rows, None] + prev) / (prev + 1.0))
        ratio_log = np.where(valid[:, :-1], ratio_log, 0.0)  # phases before 0 stay at NB(0)
        log_nb = log_nb0 + np.concatenate(
            [np.zeros((rows.size, 1)), np.cumsum(ratio_log, axis=1)], axis=1
        )
        terms = np.exp(log_nb + np.repeat(log_coins, k, axis=1))
        survive[rows] += np.sum(np.where(valid, terms, 0.0), axis=1)
        log_c[rows] = log_coins[:, -1] + step[:, -1]
        last = i[0, -1]
        ratio = np.maximum(q[rows] * (shape[rows] + last) / (last + 1.0), q[rows])
        small = ratio < 1.0
        log_rest = log_nb[:, -1] + np.log(ratio / np.where(small, 1.0 - ratio, 1.0))
        done = small & (log_rest < np.log(_CNBD_TAIL) + np.log(survive[rows]))
        rows = rows[~done]
        first += _CNBD_BLOCK
        if first * k > 10_000_000:
            raise CustomerModelsError(
                "P(alive at T+t) of BG/CNBD-k needs more than 10,000,000 phases' terms at "
                f"t = {t:g}: the horizon is far beyond the data; use a shorter t."
            )
    return survive


@polars_out
def probability_alive_at(
    model: BetaGeoModel
    | ParetoNBDModel
    | GGompertzNBDModel
    | BetaGeoCNBDModel
    | NegativeBinomialModel
    | BetaGeoBetaBinomModel,
    data: Any,
    *,
    t: float,
) -> pd.Series:
    """Probability that each customer is still alive ``t`` after the end of observation.

    ``P(alive at T + t | history) = P(alive at T) × P(alive at T + t | alive at T)``:
    Pareto/NBD ``× ((β+T)/(β+T+t))^s`` (the posterior of the dropout rate given alive at
    ``T`` is ``Gamma(s, β+T)``); BG/NBD and MBG/NBD ``× (1+u)^-(r+x) 2F1(r+x, b'; a+b';
    u/(1+u))``, ``u = t/(α+T)``, ``b' = b+x`` (MBG/NBD ``b+x+1``), because a BG customer can
    drop out only right after a purchase; GGompertz/NBD ``× S(T+t)/S(T)`` with
    ``S(τ) = (β/(β + e^(bτ) − 1))^s``; BG/CNBD-k and MBG/CNBD-k: the coins after the
    Erlang-k purchases that fall in the window (see `_cnbd_survival`); the NBD: 1 (no
    dropout); BG/BB: ``probability_alive(periods_ahead=t)``.

    Parameters
    ----------
    model : fitted BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, GGompertzNBDModel,
        BetaGeoCNBDModel, ModifiedBetaGeoCNBDModel, NegativeBinomialModel or
        BetaGeoBetaBinomModel
    data : DataFrame
        Customer summary with the columns the model needs.
    t : float
        Time after ``T`` in the model's unit (whole opportunities for BG/BB), a scalar >= 0.

    Returns
    -------
    pandas.Series
        ``probability_alive`` on ``data``'s index; at ``t = 0`` the model's
        ``probability_alive``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting Your Customers the Easy
    Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284 (the
    dropout-at-purchase structure and the posterior given alive); Fader, P. S. and Hardie,
    B. G. S. (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions" (the
    posterior of the dropout rate given alive).

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import ParetoNBDModel
    >>> one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    >>> m = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> p0 = float(m.probability_alive(one).iloc[0])
    >>> p52 = float(probability_alive_at(m, one, t=52).iloc[0])
    >>> round(p52 / p0, 6) == round(((11.669 + 38.86) / (11.669 + 38.86 + 52)) ** 0.606, 6)
    True
    """
    frame = as_pandas(data, what="data")
    if isinstance(model, BetaGeoBetaBinomModel):
        m = int(check_number(t, "t", low=0, integer=True))
        return pd.Series(
            np.asarray(model.probability_alive(frame, periods_ahead=m), dtype=np.float64),
            index=frame.index,
            name="probability_alive",
        )
    if isinstance(model, BetaGeoCNBDModel):
        horizon = float(check_number(t, "t", low=0.0))
        cols, _ = model._prepare(frame, columns=("frequency", "recency", "T"))
        alive = np.asarray(model.probability_alive(frame), dtype=np.float64)
        params = model.params_.to_numpy(dtype=np.float64)
        survival = _cnbd_survival(
            params, cols["frequency"], cols["recency"], cols["T"], horizon, model._modified
        )
        return pd.Series(alive * survival, index=frame.index, name="probability_alive")
    if not isinstance(model, BetaGeoModel | ParetoNBDModel | GGompertzNBDModel):
        if isinstance(model, NegativeBinomialModel):  # no dropout: alive for ever
            horizon = float(check_number(t, "t", low=0.0))
            return pd.Series(1.0, index=frame.index, name="probability_alive")
        raise ParameterError(
            "probability_alive_at knows BG/NBD, MBG/NBD, Pareto/NBD, GGompertz/NBD, "
            f"(M)BG/CNBD-k, the NBD and BG/BB; got {type(model).__name__}."
        )
    horizon = float(check_number(t, "t", low=0.0))
    alive = np.asarray(model.probability_alive(frame), dtype=np.float64)
    params = model.params_.to_numpy(dtype=np.float64)
    x = frame["frequency"].to_numpy(dtype=np.float64)
    T = frame["T"].to_numpy(dtype=np.float64)
    if isinstance(model, ParetoNBDModel):
        s, beta = params[2], params[3]
        survival = np.exp(-s * np.log1p(horizon / (beta + T)))
    elif isinstance(model, GGompertzNBDModel):
        survival = _gompertz_survival(params, T, horizon)
    else:
        shift = 1.0 if isinstance(model, ModifiedBetaGeoModel) else 0.0
        survival = _bg_survival(params, x, T, horizon, shift)
    return pd.Series(alive * survival, index=frame.index, name="probability_alive")
