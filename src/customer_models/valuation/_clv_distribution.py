"""The distribution of a customer's (undiscounted) value over the next ``t``.

``V = margin × (Z_1 + ... + Z_N)``: ``N`` is the purchase count in ``(T, T+t]`` from the
transaction model's predictive pmf and the ``Z_j`` are the spends of those purchases under the
Gamma-Gamma model. Given the customer's spend rate ``ν`` the ``Z_j`` are independent
``Gamma(p, ν)``, so their sum is ``Gamma(n p, ν)``; the posterior of ``ν`` given ``x`` repeat
purchases with mean spend ``m`` is ``Gamma(q + p x, v + x m)`` (Fader, Hardie & Lee 2005,
"RFM and CLV"), and a ``Gamma(a, ν)`` variable with ``ν ~ Gamma(q', γ')`` is ``γ'`` times a
beta-prime, so ``P(Z_1 + ... + Z_n <= s) = I_{s/(s+γ')}(n p, q')`` exactly. Hence

``P(V <= c) = P(N = 0) + Σ_{n>=1} P(N = n) I_{z}(n p, q')``, ``z = (c/margin) / (c/margin + γ')``

with no simulation. The CDF is evaluated once per distinct (history, spend posterior) row, the
pmf once per distinct history, in blocks; quantiles come from a safeguarded Newton iteration on
this CDF over all rows of a block at once (:mod:`._value_cdf`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.special import betainc

from customer_models._polars import polars_out
from customer_models._progress import ProgressLike, check_progress
from customer_models._validation import (
    as_generator,
    as_pandas,
    check_bool,
    check_choice,
    check_number,
    check_random_state,
)
from customer_models.exceptions import ParameterError
from customer_models.valuation._clv import customer_lifetime_value
from customer_models.valuation._gamma_gamma import GammaGammaModel
from customer_models.valuation._param_draws import MAX_DRAWS, joint_draws
from customer_models.valuation._patterns import _group_rows
from customer_models.valuation._predictive import window_expected
from customer_models.valuation._predictive_source import PmfSource, pmf_source, scan
from customer_models.valuation._value_cdf import MixtureBlock, ValueBlock

if TYPE_CHECKING:
    from customer_models.typing import RandomStateLike


__all__ = ["value_distribution"]

#: Value rows per block (bounds memory at block × counts).
_BLOCK = 8192
#: Fewest value rows per block of a mixture over parameter draws (one pmf per draw and block).
_MIN_MIX_BLOCK = 256


def _spend_rows(spend_model: Any, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the Gamma-Gamma parameters and each row's ``x`` and ``x m`` (0 without spend).

    The posterior of the spend rate is ``Gamma(q + p x, v + x m)`` at any parameters.
    """
    if not isinstance(spend_model, GammaGammaModel):
        raise ParameterError(
            "spend_model must be a fitted GammaGammaModel (the spend distribution per purchase "
            f"is needed, not only its mean); got {type(spend_model).__name__}."
        )
    spend_model.expected_spend(frame)  # validates the columns and the fitted parameters
    x = frame["frequency"].to_numpy(dtype=np.float64)
    m = frame["monetary_value"].to_numpy(dtype=np.float64)
    valid = (x > 0) & (m > 0)  # as expected_spend: no valid spend, the prior
    params = spend_model.params_.to_numpy(dtype=np.float64)
    return params, np.where(valid, x, 0.0), np.where(valid, x * m, 0.0)


def _posterior(params: np.ndarray, xv: np.ndarray, xm: np.ndarray) -> tuple[float, Any, Any]:
    """``p`` and the posterior shape and rate of the spend rate at ``params = (p, q, v)``."""
    p, q, v = (float(c) for c in params)
    return p, q + p * xv, v + xm


def _spend_posterior(spend_model: Any, frame: pd.DataFrame) -> tuple[float, Any, Any]:
    """``p`` and each row's posterior shape and rate at the fitted spend parameters."""
    return _posterior(*_spend_rows(spend_model, frame))


def _cdf(pmf: np.ndarray, p: float, shape: np.ndarray, rate: np.ndarray, s: np.ndarray) -> Any:
    """P(S <= s) per row of ``pmf`` (customers × counts), s = value / margin."""
    n = np.arange(1, pmf.shape[1], dtype=np.float64)[None, :]
    z = (s / (s + rate))[:, None]
    tail = betainc(n * p, shape[:, None], np.broadcast_to(z, (z.shape[0], n.shape[1])))
    return pmf[:, 0] + np.einsum("ij,ij->i", pmf[:, 1:], tail)


@polars_out
def value_distribution(
    transaction_model: Any,
    spend_model: GammaGammaModel,
    data: Any,
    *,
    t: float,
    start: float = 0.0,
    margin: float = 1.0,
    discount_rate: float = 0.0,
    discounting: Literal["discrete", "continuous"] = "discrete",
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    thresholds: Sequence[float] = (),
    parameter_uncertainty: bool = False,
    method: Literal["laplace", "bootstrap"] = "laplace",
    n_draws: int = 100,
    fit_data: Any = None,
    random_state: RandomStateLike = None,
    progress: ProgressLike = None,
) -> pd.DataFrame:
    """Quantiles of each customer's value over the next ``t`` and P(value > threshold).

    The value is ``margin ×`` the spend of the purchases in ``(T, T+t]``, undiscounted: both
    the purchase count (the transaction model's predictive pmf) and each purchase's spend (the
    Gamma-Gamma model given the customer's history) are random. See the module docstring for
    the exact CDF.

    Parameters
    ----------
    transaction_model : fitted purchase model
        BG/NBD, MBG/NBD, Pareto/NBD or BG/BB (``t`` in its time unit).
    spend_model : fitted GammaGammaModel
    data : DataFrame
        ``frequency``, ``recency``, ``T`` (or ``n_periods``) and ``monetary_value``.
    t : float
        Horizon in the transaction model's time unit, a scalar.
    start : float, default 0.0
        Start of the window after ``T`` (model units): the value of the purchases in
        ``(T + start, T + start + t]`` (BG/BB: whole opportunities, ``n + start + 1`` to
        ``n + start + t``). BG/NBD, MBG/NBD, Pareto/NBD and BG/BB, whose count over a later
        window is a closed form (see :func:`pmf_source`); others are refused for
        ``start > 0``.
    margin : float, default 1.0
        Profit margin, > 0.
    discount_rate : float, default 0.0
        Effective discount rate per model time unit, >= 0 (the period of ``t``).
    discounting : {"discrete", "continuous"}, default "discrete"
        As in :func:`customer_lifetime_value` with ``horizon_unit`` the model's unit: purchases
        of period i discounted by ``(1 + d)^i``, or at their time by ``exp(-δ t)`` with
        ``δ = log(1 + d)``. The distribution is the undiscounted one scaled per customer by
        ``CLV(d) / CLV(0)``, so ``expected_value`` equals ``customer_lifetime_value`` exactly;
        the quantiles are an approximation (the spread of the discount factors over the
        purchase times is left out), checked against a simulation of discounted purchases in
        the tests and benchmarks (see docs/uncertainty.md for where it holds).
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Levels in (0, 1 - 1e-9]; columns ``q{level}``. A quantile is 0 when ``P(no purchase)``
        reaches its level.
    thresholds : sequence of float, optional
        Values ``c >= 0``; columns ``p_above_{c}`` hold ``P(value > c)``.
    parameter_uncertainty : bool, default False
        Mix the value distribution over ``n_draws`` joint draws of both models' parameters
        (``method``, as in :func:`customer_lifetime_value` with ``confidence``): the quantiles
        then also carry the estimation uncertainty of the parameters. Costs about
        ``n_draws`` times the fixed-parameter distribution; memory stays O(customers)
        (value rows are evaluated in blocks of at least 256 rows, 8,192 / n_draws).
    method : {"laplace", "bootstrap"}, default "laplace"
        Parameter draws: normal draws of the log-parameters with each model's covariance, or
        refits on customer resamples of ``fit_data`` (the spend model on its rows with
        ``frequency > 0``).
    n_draws : int, default 100
        Parameter draws of the mixture, 2 to 100,000.
    fit_data : DataFrame, optional
        The data the models were fitted on (bootstrap only; never the scored rows).
    random_state : int, numpy Generator or RandomState, optional
        Seed of the parameter draws.
    progress : bool, tqdm-compatible class or callable, optional
        Report the bootstrap refits (see :func:`confidence_interval`).

    Returns
    -------
    DataFrame
        ``expected_value`` (``margin E[N] E[Z]`` at the fitted parameters, ``E[N]`` from the
        transaction model's ``expected_purchases``), the quantile and threshold columns, on
        ``data``'s index.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.valuation import BetaGeoModel, GammaGammaModel
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86],
    ...                     "monetary_value": [22.35]})
    >>> out = value_distribution(bg, gg, one, t=39, thresholds=[100])
    >>> out.round(2).iloc[0].tolist()
    [30.24, 0.0, 15.46, 115.34, 0.07]
    """
    frame = as_pandas(data, what="data")
    gain = float(check_number(margin, "margin", low=0.0, low_inclusive=False))
    levels = [
        float(check_number(q, "quantiles", low=0.0, high=1.0 - 1e-9, low_inclusive=False))
        for q in quantiles
    ]
    cuts = [float(check_number(c, "thresholds", low=0.0)) for c in thresholds]
    rate_d = float(check_number(discount_rate, "discount_rate", low=0.0))
    check_choice(discounting, "discounting", ["discrete", "continuous"])
    check_bool(parameter_uncertainty, "parameter_uncertainty")
    check_choice(method, "method", ["laplace", "bootstrap"])
    check_progress(progress)
    n_mix = int(check_number(n_draws, "n_draws", low=2, high=MAX_DRAWS, integer=True))
    check_random_state(random_state)
    spend_params, xv, xm = _spend_rows(spend_model, frame)
    first_time = float(check_number(start, "start", low=0.0))
    source = pmf_source(transaction_model, frame, t, first_time)
    factor = _discount_factor(transaction_model, frame, float(t), first_time, rate_d, discounting)
    # value rows: distinct (history, spend posterior); the pmf once per distinct history
    # sorted by frequency first: rows of a block have pmfs of similar length
    x = frame["frequency"].to_numpy(dtype=np.float64)
    inverse, first = _group_rows([x, source.inverse, xv, xm], sort=True)
    pattern, v_x, v_xm = source.inverse[first], xv[first], xm[first]
    draws: list[tuple[np.ndarray | None, np.ndarray]] = [(None, spend_params)]
    if parameter_uncertainty:
        fit_frame = None if fit_data is None else as_pandas(fit_data, what="fit_data")
        tm, sm = joint_draws(
            transaction_model,
            spend_model,
            n_mix,
            as_generator(random_state),
            method,
            fit_frame,
            progress,
        )
        assert sm is not None  # a GammaGammaModel has parameters
        draws = list(zip(tm, sm, strict=True))
    n_rows = first.size
    size = _BLOCK if len(draws) == 1 else max(_MIN_MIX_BLOCK, _BLOCK // len(draws))
    results = {f"q{q:g}": np.zeros(n_rows) for q in levels}
    results |= {f"p_above_{c:g}": np.zeros(n_rows) for c in cuts}
    by_row = np.argsort(inverse, kind="stable")  # the customers of a block: one slice
    edges = np.searchsorted(inverse[by_row], np.arange(0, n_rows + size, size))
    for i, start in enumerate(range(0, n_rows, size)):
        rows = np.arange(start, min(start + size, n_rows))
        pats, local = np.unique(pattern[rows], return_inverse=True)
        customers = by_row[edges[i] : edges[i + 1]]
        fitted = _pattern_pmf(source, pats, customers)[local]
        parts = []
        for tm_d, sm_d in draws:
            pmf = fitted if tm_d is None else _pattern_pmf(source, pats, customers, tm_d)[local]
            p, shape, rate = _posterior(sm_d, v_x[rows], v_xm[rows])
            parts.append(ValueBlock(pmf, p, shape, rate))
        block: ValueBlock | MixtureBlock = parts[0] if len(parts) == 1 else MixtureBlock(parts)
        scale = gain * factor[first[rows]]  # one history per value row: one factor
        for q in levels:
            results[f"q{q:g}"][rows] = scale * block.quantile(q)
        for c in cuts:
            above = 1.0 - block.cdf(c / scale)
            results[f"p_above_{c:g}"][rows] = np.clip(above, 0.0, 1.0)
    out: dict[str, np.ndarray] = {}
    p, shape, rate = _posterior(spend_params, xv, xm)
    if np.all(shape > 1.0):
        mean_spend = p * rate / (shape - 1.0)
        count = _window_mean(transaction_model, frame, float(t), first_time)
        out["expected_value"] = gain * factor * count * mean_spend
    out |= {name: values[inverse] for name, values in results.items()}
    return pd.DataFrame(out, index=frame.index)


def _window_mean(model: Any, frame: pd.DataFrame, t: float, start: float) -> Any:
    """``E[X(start + t)] - E[X(start)]`` per row from the model's own expectation.

    Not the mean of the scanned pmf: that stops once the mass left is below 1e-10, which for
    a customer nearly surely dead can hold most of a tiny mean.
    """
    if not hasattr(model, "expected_purchases"):
        raise ParameterError(
            f"{type(model).__name__} has no expected_purchases(data, t=), so the value "
            "distribution has no expected value."
        )
    return window_expected(model, frame, t, start)


def _discount_factor(
    model: Any, frame: pd.DataFrame, t: float, start: float, rate: float, discounting: str
) -> Any:
    """Per row ``CLV(d) / CLV(0)`` over the window, 1 without discounting or purchases.

    Both from :func:`customer_lifetime_value` (spend 1, the model's unit as the period), so the
    discounted mean follows its conventions exactly.
    """
    if rate == 0.0:
        return np.ones(len(frame))

    ones = pd.Series(1.0, index=frame.index)
    common: dict[str, Any] = {"horizon": start + t, "start": start, "horizon_unit": "D"}
    common |= {"model_time_unit": "D", "discounting": discounting}
    discounted = customer_lifetime_value(model, ones, frame, discount_rate=rate, **common)
    plain = customer_lifetime_value(model, ones, frame, **common).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = discounted.to_numpy() / plain
    return np.where(plain > 0, np.clip(ratio, 0.0, 1.0), 1.0)


def _pattern_pmf(
    source: PmfSource, patterns: np.ndarray, customers: np.ndarray, params: Any = None
) -> Any:
    """Return the complete count pmf (tail 1e-10) of the sorted ``patterns`` of ``source``.

    At the fitted parameters, or at the transaction model's parameter vector ``params``.

    ``customers`` are rows of the summary with these patterns: refusals name them.
    """
    local = np.searchsorted(patterns, source.inverse[customers])
    sub = PmfSource(
        patterns.size,
        local,
        source.index[customers],
        lambda params, k, rows: source.pmf(params, k, patterns[rows]),
        source.support,
    )
    res = scan(sub, sub.fixed(params), full=True)
    assert res.pmf is not None
    return res.pmf
