"""The count distribution of a purchase model on distinct histories, and the scan over counts.

:func:`pmf_source` validates a summary once against a purchase model, compresses identical
histories into patterns and returns a :class:`PmfSource`: ``pmf(params, k, rows)`` gives
``P(X(T, T+t) = k | history)`` for a block of counts ``k`` and pattern rows. The BG family and
Pareto/NBD (continuous time) and BG/BB (discrete time) are called through their declared
kernels; any other model with ``probability_of_purchases(data, n=, t=)`` through that method
(the covariate models, whose parameters are per customer, and duck-typed models).

:func:`scan` walks the counts upwards in growing blocks over chunks of patterns (memory
O(chunk × block)), and stops a row as soon as what was asked is known: the requested
quantiles, or the whole pmf once the remaining tail mass is below ``tail``. A row still open at
``max_count`` is refused with the limit named, never truncated silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import as_pandas, check_number
from customer_models.exceptions import CustomerModelsError, ParameterError
from customer_models.valuation import _pareto_nbd_predictions as pnp
from customer_models.valuation._bgbb import BetaGeoBetaBinomModel
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._discrete import DiscretePurchaseModel
from customer_models.valuation._mbgnbd import ModifiedBetaGeoModel
from customer_models.valuation._param_draws import fitted_params, with_params
from customer_models.valuation._pareto_nbd import ParetoNBDModel
from customer_models.valuation._patterns import compress_patterns, distinct_rows
from customer_models.valuation._purchase import PurchaseModel
from customer_models.valuation._window_pmf import bg_window, bgbb_window

__all__ = ["MAX_COUNT", "TAIL", "PmfSource", "ScanResult", "pmf_source", "scan"]

#: Largest purchase count a scan looks at before refusing (one pmf evaluation per count).
MAX_COUNT = 100_000
#: Default tail mass below which a pmf is complete.
TAIL = 1e-10
#: Patterns per chunk of a scan (bounds memory at chunk × block floats).
_CHUNK = 1 << 16
_FIRST_BLOCK = 4
_MAX_BLOCK = 64
#: A block of counts adding less mass than this has reached the rounding floor.
_STALL = 1e-18

PmfFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class PmfSource:
    """Count pmf of one model and horizon on the distinct histories of a summary.

    Attributes
    ----------
    n_patterns : int
        Number of distinct histories.
    inverse : numpy.ndarray
        Pattern of every row of the summary.
    index : pandas.Index
        The summary's index.
    pmf : callable
        ``pmf(params, k, rows) -> (rows.size, k.size)`` array; ``params`` None for the fitted
        parameters.
    support : int or None
        Largest possible count (``t`` opportunities for a discrete-time model), or None.
    columns : tuple of numpy.ndarray
        The pattern columns (``frequency``, ``recency``, ``T`` or ``n_periods``).
    """

    n_patterns: int
    inverse: np.ndarray
    index: pd.Index
    pmf: Callable[[np.ndarray | None, np.ndarray, np.ndarray], np.ndarray]
    support: int | None
    columns: tuple[np.ndarray, ...] = field(default_factory=tuple)

    def fixed(self, params: np.ndarray | None = None) -> PmfFn:
        """``(k, rows) -> pmf`` at ``params``."""
        return lambda k, rows: self.pmf(params, k, rows)


def _horizon(t: Any, discrete: bool) -> float:
    if discrete:
        return float(check_number(t, "t", low=0, integer=True))
    return float(check_number(t, "t", low=0.0))


def _factored(
    model: Any, theta: np.ndarray, cols: tuple[np.ndarray, ...], t: float, start: float = 0.0
) -> Callable[[np.ndarray | None, np.ndarray, np.ndarray], np.ndarray] | None:
    """``P(k) = A g(k | x, T) + (1 - A S(x, T)) [k = 0]`` with ``g``, ``S`` per (x, T) pair.

    BG/NBD, MBG/NBD and Pareto/NBD: alive at ``T`` (probability ``A``) the future is the
    model's new-customer process under the posterior given alive, which depends on ``(x, T)``
    only (not on ``t_x``), so ``g`` (the probability of being alive at ``T + start`` and buying
    ``k`` in the window, given alive at ``T``) and ``S`` (alive at ``T + start`` given alive at
    ``T``) are evaluated once per distinct pair and per count, and ``A`` once per history. At
    ``start = 0``, ``S = 1`` and ``g`` is the models' ``probability_of_purchases`` kernel.

    ``start > 0``, the count in ``(T + start, T + start + t]``. Pareto/NBD: being alive at
    ``T + start`` depends on the dropout rate only, so ``S = ((β+T)/(β+T+start))^s`` and the
    posterior given alive becomes ``Gamma(s, β+T+start)``; the purchase rate's posterior is
    unchanged (Poisson increments are independent of the unobserved purchases before
    ``T + start``). BG family: a mixture over the purchases before the window
    (:mod:`._window_pmf`).
    """
    given: Callable[..., tuple[np.ndarray, np.ndarray]]
    if isinstance(model, BetaGeoModel):
        shift = 1.0 if isinstance(model, ModifiedBetaGeoModel) else 0.0

        def given(p: np.ndarray, k: np.ndarray, x: np.ndarray, T: np.ndarray) -> Any:
            return bg_window(p, k, x, T, t, start, shift)

    elif isinstance(model, ParetoNBDModel):

        def given(p: np.ndarray, k: np.ndarray, x: np.ndarray, T: np.ndarray) -> Any:
            pmf = pnp._pmf_new(
                k[None, :],
                t,
                p[0] + x[:, None],
                p[1] + T[:, None],
                p[2],
                (p[3] + T[:, None] + start),
            )
            survive = np.exp(-p[2] * np.log1p(start / (p[3] + T)))
            return survive[:, None] * pmf, survive

    else:
        return None
    x, t_x, age = cols
    distinct = distinct_rows([x, age], min_rows=0)
    if distinct is None:
        (x_u, T_u), pair = (x, age), np.arange(x.size)
    else:
        (x_u, T_u), pair = distinct
    alive_kernel = type(model)._alive_kernel
    fitted_alive = np.asarray(alive_kernel(theta, x, t_x, age), dtype=np.float64)

    def pmf(params: np.ndarray | None, k: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if params is None:
            p, alive = theta, fitted_alive[rows]
        else:
            p = np.asarray(params, dtype=np.float64)
            alive = np.asarray(alive_kernel(p, x[rows], t_x[rows], age[rows]), dtype=np.float64)
        needed, local = np.unique(pair[rows], return_inverse=True)
        kk = np.asarray(k, dtype=np.float64)
        g, survive = given(p, kk, x_u[needed], T_u[needed])
        joint = alive[:, None] * np.asarray(g, dtype=np.float64)[local]
        return joint + (1.0 - alive * survive[local])[:, None] * (kk == 0)[None, :]

    return pmf


def _has_window(model: Any) -> bool:
    """Whether ``model`` has the count pmf of a later window (``start > 0``)."""
    return isinstance(model, BetaGeoModel | ParetoNBDModel | BetaGeoBetaBinomModel)


def _refuse_window(model: Any) -> None:
    raise ParameterError(
        "A window that starts after T (start > 0) has a closed-form count distribution for "
        f"BG/NBD, MBG/NBD, Pareto/NBD and BG/BB only; got {type(model).__name__}. Use "
        "start=0, or customer_lifetime_value(start=) for the expected value."
    )


def pmf_source(model: Any, data: Any, t: Any, start: float = 0.0) -> PmfSource:
    """Build the :class:`PmfSource` of ``model`` on ``data`` for the horizon ``t`` (scalar).

    ``start > 0``: the count in ``(T + start, T + start + t]`` (BG/NBD, MBG/NBD and Pareto/NBD,
    see `_factored`; BG/BB: opportunities ``n + start + 1 .. n + start + t``, whole
    ``start``, see :mod:`._window_pmf`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from customer_models.valuation import ParetoNBDModel
    >>> same = pd.DataFrame({"frequency": [2, 2], "recency": [30.43] * 2, "T": [38.86] * 2})
    >>> src = pmf_source(ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    ...                  same, 39)
    >>> src.n_patterns, src.pmf(None, np.arange(3.0), np.array([0])).round(3).tolist()
    (1, [[0.408, 0.219, 0.152]])
    """
    frame = as_pandas(data, what="data")
    theta = fitted_params(model).to_numpy(dtype=np.float64)
    kernel = getattr(type(model), "_pmf_kernel", None)
    if isinstance(model, PurchaseModel | DiscretePurchaseModel) and kernel is not None:
        discrete = isinstance(model, DiscretePurchaseModel)
        horizon = _horizon(t, discrete)
        first = float(check_number(start, "start", low=0, integer=discrete))
        columns, _ = model._prepare(frame)
        patterns = compress_patterns([columns[c] for c in model.required_columns])
        x, t_x, age = patterns.columns

        def by_kernel(params: np.ndarray | None, k: np.ndarray, rows: np.ndarray) -> np.ndarray:
            p = theta if params is None else np.asarray(params, dtype=np.float64)
            kk = np.asarray(k, dtype=np.float64)[None, :]
            xr, tr, ar = x[rows, None], t_x[rows, None], age[rows, None]
            if discrete:
                out = bgbb_window(kernel, p, xr, tr, ar, int(horizon), int(first), kk)
            else:
                out = kernel(p, kk, xr, tr, ar, horizon)
            return np.broadcast_to(np.asarray(out, dtype=np.float64), (rows.size, kk.size))

        if start > 0 and not _has_window(model):
            _refuse_window(model)
        factored = None if discrete else _factored(model, theta, patterns.columns, horizon, start)
        return PmfSource(
            patterns.weights.size,
            patterns.inverse,
            frame.index,
            by_kernel if factored is None else factored,
            int(horizon) if discrete else None,
            patterns.columns,
        )
    if start > 0:
        _refuse_window(model)
    if not hasattr(model, "probability_of_purchases"):
        raise ParameterError(
            f"{type(model).__name__} has no probability_of_purchases(data, n=, t=), so it has "
            "no predictive distribution of the purchase count."
        )
    horizon = float(check_number(t, "t", low=0.0))

    def by_method(params: np.ndarray | None, k: np.ndarray, rows: np.ndarray) -> np.ndarray:
        m = model if params is None else with_params(model, params)
        part = frame.iloc[rows]
        cols = [
            np.asarray(m.probability_of_purchases(part, n=int(j), t=horizon), dtype=np.float64)
            for j in np.asarray(k)
        ]
        return np.stack(cols, axis=1)

    return PmfSource(len(frame), np.arange(len(frame)), frame.index, by_method, None)


@dataclass
class ScanResult:
    """What a scan found per pattern (arrays over patterns).

    ``quantile[j]``, ``cdf_at[j]`` and ``pmf_at[j]``: the ``levels[j]`` quantile (smallest count
    with CDF >= level), the CDF and the pmf there. ``pmf``: the complete pmf (patterns × counts)
    when asked for, else None; ``tail``: the mass above its last count; ``p0``: P(no purchase).
    """

    quantile: list[np.ndarray]
    cdf_at: list[np.ndarray]
    pmf_at: list[np.ndarray]
    pmf: np.ndarray | None
    tail: np.ndarray | None
    p0: np.ndarray


def _stalled(rows: np.ndarray, deficit: np.ndarray, source: PmfSource, tail: float) -> None:
    ids = list(source.index[np.isin(source.inverse, rows)][:5])
    raise CustomerModelsError(
        f"The purchase-count pmf of {rows.size} histories (first ids: {ids}) stops adding "
        f"mass {float(deficit.max()):.3g} short of 1, more than tail={tail:g}: the kernel's "
        "rounding floor. Use a larger tail (the default 1e-10 is well above it)."
    )


def _refuse(open_rows: np.ndarray, source: PmfSource, max_count: int, what: str) -> None:
    ids = list(source.index[np.isin(source.inverse, open_rows)][:5])
    raise CustomerModelsError(
        f"The purchase-count distribution needs more than max_count={max_count} counts for "
        f"{int(np.isin(source.inverse, open_rows).sum())} customers (first ids: {ids}) to "
        f"reach {what}; a horizon t this long for such frequent buyers is outside what the "
        "scan evaluates. Use a shorter t or raise max_count."
    )


def scan(
    source: PmfSource,
    pmf: PmfFn,
    *,
    levels: Sequence[float] = (),
    full: bool = False,
    tail: float = TAIL,
    max_count: int = MAX_COUNT,
) -> ScanResult:
    """Walk the counts of ``pmf`` for every pattern of ``source`` (see the module docstring).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from scipy import stats
    >>> src = PmfSource(1, np.zeros(1, int), pd.RangeIndex(1),
    ...                 lambda p, k, rows: stats.poisson.pmf(k[None, :], 2.0), None)
    >>> res = scan(src, src.fixed(), levels=[0.05, 0.95])
    >>> [int(q[0]) for q in res.quantile]
    [0, 5]
    """
    n = source.n_patterns
    quant = [np.zeros(n) for _ in levels]
    cdf_at = [np.zeros(n) for _ in levels]
    pmf_at = [np.zeros(n) for _ in levels]
    lv = np.asarray(levels, dtype=np.float64)
    top = float(lv.max()) if lv.size else 0.0
    blocks: list[tuple[int, np.ndarray, np.ndarray]] = []
    tails = np.zeros(n) if full else None
    p0 = np.zeros(n)
    for start in range(0, n, _CHUNK):
        active = np.arange(start, min(start + _CHUNK, n))
        cdf = np.zeros(active.size)
        found = np.zeros((lv.size, active.size), dtype=bool)
        k0, width = 0, _FIRST_BLOCK
        while active.size:
            if source.support is not None:
                width = min(width, source.support + 1 - k0)
            ks = np.arange(k0, k0 + width, dtype=np.float64)
            block = np.clip(pmf(ks, active), 0.0, 1.0)
            cum = cdf[:, None] + np.cumsum(block, axis=1)
            if k0 == 0:
                p0[active] = block[:, 0]
            for j, q in enumerate(lv):
                hit = (cum >= q) & ~found[j][:, None]
                new = hit.any(axis=1)
                first = np.argmax(hit, axis=1)[new]
                rows = active[new]
                quant[j][rows] = k0 + first
                cdf_at[j][rows] = cum[new, first]
                pmf_at[j][rows] = block[new, first]
                found[j] |= new
            if full:
                blocks.append((k0, active, block))
            cdf = cum[:, -1]
            k0 += width
            width = min(2 * width, _MAX_BLOCK)
            exhausted = source.support is not None and k0 > source.support
            if full:
                done = (1.0 - cdf < tail) | exhausted
            else:
                done = found.all(axis=0) | (cdf >= top) | exhausted
            if full and tails is not None:
                tails[active[done]] = np.maximum(1.0 - cdf[done], 0.0)
            if exhausted:
                for j in range(lv.size):  # rounding left a level unmet: the last count
                    miss = ~found[j]
                    quant[j][active[miss]] = k0 - 1
                    cdf_at[j][active[miss]] = cdf[miss]
                    pmf_at[j][active[miss]] = block[miss, -1]
            stalled = ~done & (block.sum(axis=1) < _STALL)
            if stalled.any():  # the terms vanished before the mass reached 1 - tail
                _stalled(active[stalled], 1.0 - cdf[stalled], source, tail)
            keep = ~done
            active, cdf, found = active[keep], cdf[keep], found[:, keep]
            if active.size and k0 > max_count:
                _refuse(
                    active, source, max_count, f"a tail below {tail:g}" if full else "the quantiles"
                )
    table = None
    if full:
        width_all = max((k + b.shape[1] for k, _, b in blocks), default=1)
        table = np.zeros((n, width_all))
        for k, rows, b in blocks:
            table[rows, k : k + b.shape[1]] = b
    return ScanResult(quant, cdf_at, pmf_at, table, tails, p0)
