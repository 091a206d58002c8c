"""BG/CNBD-k and MBG/CNBD-k (Platzer and Reutterer 2016): Erlang-k inter-purchase times.

One estimator class per variant (``_modified`` selects MBG/CNBD-k); the kernels are in
:mod:`customer_models.valuation._cnbd_likelihood` and
:mod:`customer_models.valuation._cnbd_predictions`. The Erlang shape ``k`` is a parameter
(``params_["k"]``, so it is saved and loaded with the others) that the fit chooses by profiling
the likelihood over ``k = 1 .. max_k`` (BTYDplus' ``bgcnbd.EstimateParameters``), or holds at
a given ``k``. At each ``k`` the other four parameters are fitted on the distinct
``(frequency, recency, T)`` patterns, since the sum of log inter-purchase times enters the
likelihood only through a constant ``(k - 1) sum(litt)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import gammaln

from customer_models._inter_purchase import LOG_INTERPURCHASE_COLUMN
from customer_models._progress import Progress
from customer_models._validation import check_rule
from customer_models.exceptions import MissingColumnError, ParameterError
from customer_models.valuation import _cnbd_likelihood, _cnbd_predictions
from customer_models.valuation._checks import check_frequency_recency
from customer_models.valuation._cnbd_likelihood import fixed_k_gradient_kernel
from customer_models.valuation._convergence import diagnose
from customer_models.valuation._derivatives import gradient_derivatives
from customer_models.valuation._fit_objective import penalty_scale
from customer_models.valuation._fit_orchestration import FitData, FitOutcome
from customer_models.valuation._fit_result import LOG_BOUND
from customer_models.valuation._optimize import dot, maximize
from customer_models.valuation._purchase import PurchaseModel

__all__ = ["BetaGeoCNBDModel", "ModifiedBetaGeoCNBDModel"]

_HISTORY = ("frequency", "recency", "T")
_WITH_LITT = (*_HISTORY, LOG_INTERPURCHASE_COLUMN)
_FREE = ("r", "alpha", "a", "b")
#: Largest Erlang shape accepted (the likelihood sums k terms per customer).
K_LIMIT = 50


class _Columns:
    """``required_columns``: with the litt column on the class and whenever ``k`` may be > 1.

    On an instance the column is needed unless the ``k`` in use (the fitted or given one,
    else the constructor's) is 1.
    """

    def __get__(self, obj: Any, owner: Any) -> tuple[str, ...]:
        if obj is None:
            return _WITH_LITT
        params = getattr(obj, "params_", None)
        k = obj.k if params is None else params["k"]
        return _HISTORY if k is not None and round(float(k)) == 1 else _WITH_LITT


def _check_k(value: Any, name: str, allow_none: bool) -> int | None:
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or not 1 <= int(value) <= K_LIMIT:
        allowed = "None (choose k by profiling) or " if allow_none else ""
        raise ParameterError(f"{name} must be {allowed}an integer in 1..{K_LIMIT}, got {value!r}.")
    return int(value)


class BetaGeoCNBDModel(
    PurchaseModel,
    kernels=(_cnbd_likelihood, _cnbd_predictions),
    kernel_options={"modified": False},
):
    r"""BG/CNBD-k model of repeat purchasing (Platzer and Reutterer 2016).

    While active, a customer's inter-purchase times are Erlang-k with rate
    ``λ ~ Gamma(r, α)`` (mean ``k / λ``: ``k = 1`` is exponential, larger ``k`` more regular);
    after each repeat purchase they become inactive with probability ``p ~ Beta(a, b)``.
    ``k = 1`` is BG/NBD. Fitted on ``frequency``, ``recency``, ``T`` and, when ``k`` may
    exceed 1, ``log_interpurchase_sum`` (the sum of log inter-purchase times, from
    :func:`customer_models._inter_purchase.log_interpurchase_sum`, in the unit of ``T``).

    Parameters
    ----------
    k : int, optional
        Erlang shape. None (default) chooses it by profiling the likelihood over
        ``k = 1, 2, ...`` up to ``max_k``, stopping once it fell twice in a row (BTYDplus'
        rule); an integer holds it there (``k = 1`` needs no litt column).
    max_k : int, default 12
        Largest ``k`` of the profile (BTYDplus' grid is 1..12).
    penalizer_coef : float, default 0.0
        L2 penalty on ``r, alpha / max T, a, b``, as in
        :class:`~customer_models.valuation.BetaGeoModel`.
    time_unit : str, optional
        Unit of recency/T/t; default ``data.attrs["time_unit"]``.

    Attributes
    ----------
    params_ : pandas.Series
        ``k, r, alpha, a, b``.
    profile_ : pandas.DataFrame
        After ``fit``: one row per ``k`` tried (in order), with its log-likelihood, parameters and
        whether the fit converged (not saved to files).
    covariance_, summary_, log_likelihood_, aic_, bic_, n_customers_, convergence_, time_unit_
        See :class:`~customer_models.valuation.ValuationModel`. The standard errors are
        conditional on ``k`` (its variance is 0); AIC and BIC count ``k`` as a parameter
        when it was chosen, not when it was given.

    Notes
    -----
    Individual likelihood, with ``R = r + k x`` and ``litt`` the sum of log inter-purchase
    times:

    .. math::

        L = \frac{e^{(k-1)\,\mathrm{litt}}}{\Gamma(k)^x}
            \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(R) \alpha^r}{\Gamma(r)}
            \left[\frac{1}{(\alpha+T)^{R}} \sum_{j<k} \frac{(R)_j}{j!}
            \left(\frac{T - t_x}{\alpha+T}\right)^j
            + \delta_{x>0} \frac{a}{b+x-1} \frac{1}{(\alpha+t_x)^{R}}\right]

    The conditional expectation and purchase-count distribution are exact (see
    :mod:`customer_models.valuation._cnbd_predictions`), not BTYDplus' bias-corrected
    approximation. Where ``k`` runs to ``max_k``, raise ``max_k``.

    **Fitting.** ``fit`` reads ``frequency``, ``recency``, ``T`` and, unless ``k = 1``,
    ``log_interpurchase_sum``. Unless ``k`` is given it profiles the likelihood over ``k = 1,
    2, ..., max_k``, fitting the other four parameters at each ``k``, and stops once the
    penalized likelihood fell twice in a row (BTYDplus' rule); the best ``k`` is kept and
    ``profile_`` lists every ``k`` tried. ``progress`` reports one step per ``k`` fitted
    (``total`` is the most values the profile may try), and the ConvergenceWarning is about
    the fit at the chosen ``k`` ("BetaGeoCNBDModel fit at k = 2: ...").

    References
    ----------
    Platzer, M. and Reutterer, T. (2016), "Ticking away the moments: timing regularity helps
    to better predict customer activity", Marketing Science 35(5), 779-799.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation._cnbd import BetaGeoCNBDModel
    >>> model = BetaGeoCNBDModel(k=1).fit(load_cdnow_summary())  # BG/NBD: no litt needed
    >>> model.params_.round(3).tolist(), round(model.log_likelihood_, 2)
    ([1.0, 0.243, 4.414, 0.793, 2.426], -9582.43)
    """

    param_names: ClassVar[tuple[str, ...]] = ("k", *_FREE)
    required_columns = _Columns()
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0, 1.0)
    _penalty_scale_columns: ClassVar[Mapping[str, str]] = {"alpha": "T"}
    _modified: ClassVar[bool] = False

    def __init__(
        self,
        *,
        k: int | None = None,
        max_k: int = 12,
        penalizer_coef: float = 0.0,
        time_unit: str | None = None,
    ) -> None:
        super().__init__(penalizer_coef=penalizer_coef, time_unit=time_unit)
        self.k = k
        self.max_k = max_k

    # ------------------------------------------------------------------ data and parameters
    @classmethod
    def _check_params(cls, params: Mapping[str, Any]) -> np.ndarray:
        values = super()._check_params(params)
        k = values[0]
        if k != round(k) or not 1 <= k <= K_LIMIT:
            raise ParameterError(
                f"{cls.__name__}: k must be an integer in 1..{K_LIMIT} (the Erlang shape), "
                f"got {params['k']!r}."
            )
        return values

    @classmethod
    def _check_data(cls, columns: Mapping[str, np.ndarray], ids: Any, what: str) -> None:
        check_frequency_recency(columns, ids, what=what, age_column="T")
        litt = columns.get(LOG_INTERPURCHASE_COLUMN)
        if litt is None:
            return
        x, t_x = columns["frequency"], columns["recency"]
        check_rule(
            (x == 0) & (litt != 0),
            ids,
            rule=f"{LOG_INTERPURCHASE_COLUMN} must be 0 when frequency is 0",
            column=LOG_INTERPURCHASE_COLUMN,
            what=what,
        )
        safe_x = np.where(x > 0, x, 1.0)
        bound = np.where(x > 0, x * np.log(np.where(t_x > 0, t_x, 1.0) / safe_x), 0.0)
        check_rule(
            (x > 0) & ((t_x <= 0) | (litt > bound + 1e-9 * np.maximum(1.0, np.abs(bound)))),
            ids,
            rule=(
                f"{LOG_INTERPURCHASE_COLUMN} must be at most frequency * log(recency / "
                "frequency) (the log gaps of frequency purchases spanning recency)"
            ),
            column=LOG_INTERPURCHASE_COLUMN,
            what=what,
            hint="Compute it in the unit of recency and T (time_unit=) from the same log.",
        )

    @classmethod
    def _check_columns(cls, present: pd.Index, needed: tuple[str, ...]) -> None:
        if (
            LOG_INTERPURCHASE_COLUMN in needed
            and LOG_INTERPURCHASE_COLUMN not in present
            and all(c in present for c in _HISTORY)
        ):
            raise MissingColumnError(
                f"{cls.__name__} needs the column {LOG_INTERPURCHASE_COLUMN!r} (the sum "
                "of log inter-purchase times) when k may exceed 1: compute it with "
                "customer_models._inter_purchase.log_interpurchase_sum(transactions, ...) with "
                "the arguments of the summary, or fix k=1 (BG/NBD)."
            )

    def _columns_xtt(self, data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
        self._require_fitted()
        cols, index = self._prepare(data, columns=_HISTORY)  # predictions need no litt
        return cols["frequency"], cols["recency"], cols["T"], index

    def _n_free_params(self) -> int:
        return len(self.param_names) - (0 if self.k is None else 1)  # a given k is not fitted

    # ------------------------------------------------------------------ fitting
    def _candidates(self) -> list[int]:
        k = _check_k(self.k, "k", allow_none=True)
        max_k = _check_k(self.max_k, "max_k", allow_none=False)
        assert max_k is not None
        return [k] if k is not None else list(range(1, max_k + 1))

    def _fit_columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # the litt enters the likelihood only through its total: patterns on the history
        return (_HISTORY if self._candidates() == [1] else _WITH_LITT), _HISTORY

    def _row_totals(self, columns: dict[str, np.ndarray], weights: np.ndarray) -> dict[str, float]:
        # the (k - 1) sum log t_j and the log Gamma(k) x terms of the likelihood, per row
        positive = weights > 0
        litt = columns.get(LOG_INTERPURCHASE_COLUMN)
        return {
            "litt": 0.0 if litt is None else dot(weights[positive], litt[positive]),
            "frequency": dot(weights[positive], columns["frequency"][positive]),
        }

    def _maximize(self, data: FitData, penalizer: float, progress: Any) -> FitOutcome:
        """Profile the likelihood over the candidate ``k`` (see Notes); set ``profile_``."""
        candidates = self._candidates()
        cols, pw = data.patterns.columns, data.patterns.weights
        n_total = data.n
        litt_total, x_total = data.totals["litt"], data.totals["frequency"]
        scale = penalty_scale(_FREE, self._penalty_scale_columns, _HISTORY, cols, pw)
        mean_x = max(dot(pw, cols[0]) / n_total, 0.1)
        mean_T = max(dot(pw, cols[2]) / n_total, 1e-3)
        rows, objectives, best = [], [], None
        with Progress(progress, len(candidates), f"{type(self).__name__}.fit: k") as bar:
            for k in candidates:
                start = np.array([1.0, mean_T / (k * mean_x), 1.0, 1.0])  # rate r / (k alpha)
                theta0 = np.log(np.clip(start, 1e-8, 1e8))
                gradient = fixed_k_gradient_kernel(k, modified=self._modified)
                result = maximize(
                    gradient_derivatives(gradient),
                    cols,
                    pw,
                    theta0,
                    penalizer=penalizer,
                    bound=LOG_BOUND,
                    penalty_scale=scale,
                )
                params = np.exp(result.theta)
                ll = dot(pw, gradient(params, *cols)[0])
                ll += (k - 1) * litt_total - gammaln(k) * x_total
                objective = ll - n_total * penalizer * float(np.sum((params / scale) ** 2))
                rows.append((k, ll, *params, bool(result.optimizer_success)))
                if best is None or objective > best[0]:
                    best = (objective, k, ll, result, theta0)
                objectives.append(objective)
                bar.advance()
                if len(objectives) >= 3 and objectives[-1] < objectives[-2] < objectives[-3]:
                    break  # BTYDplus' rule: worse twice in a row, k is past the optimum
        assert best is not None
        _, k, ll, result, theta0 = best
        cov4, report = diagnose(_FREE, result, theta0, n_total, log_bound=LOG_BOUND)
        covariance = None
        if cov4 is not None:
            covariance = np.zeros((5, 5))
            covariance[1:, 1:] = cov4  # k is held at its value: no variance
        values = np.r_[float(k), np.exp(result.theta)]
        self.profile_ = pd.DataFrame(
            rows, columns=["k", "log_likelihood", *_FREE, "converged"]
        ).set_index("k")
        prefix = f"{type(self).__name__} fit at k = {k}"
        return FitOutcome(values, covariance, ll, report, prefix)


class ModifiedBetaGeoCNBDModel(
    BetaGeoCNBDModel,
    kernels=(_cnbd_likelihood, _cnbd_predictions),
    kernel_options={"modified": True},
):
    r"""MBG/CNBD-k model (Platzer and Reutterer 2016): MBG/NBD with Erlang-k timing.

    As :class:`BetaGeoCNBDModel` (same columns, constructor parameters, model parameters
    ``k, r, alpha, a, b``, attributes and methods), but the dropout coin is also tossed right
    after the first purchase, so customers without repeat purchases may be inactive.
    ``k = 1`` is MBG/NBD.

    Notes
    -----
    As BG/CNBD-k with ``B(a, b+x+1)`` for ``B(a, b+x)`` and ``a / (b+x)`` for
    ``δ_{x>0} a / (b+x-1)``.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.valuation._cnbd import ModifiedBetaGeoCNBDModel
    >>> model = ModifiedBetaGeoCNBDModel(k=1).fit(load_cdnow_summary())
    >>> model.params_.round(3).tolist(), round(model.log_likelihood_, 2)
    ([1.0, 0.525, 6.183, 0.891, 1.614], -9582.13)
    """

    _modified: ClassVar[bool] = True
