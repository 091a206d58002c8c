"""Multi-cohort sBG: one shifted-beta-geometric retention curve per acquisition cohort.

Input is the survival counts sBG takes (:meth:`ShiftedBetaGeoModel.cohort_to_data`), stacked
in one long table with a ``cohort`` column: ``cohort``, ``period`` (0, 1, 2, ... within each
cohort) and ``survivors`` (customers still active after ``period`` periods; the cohort size at
period 0). As in pymc-marketing's ``ShiftedBetaGeoModel`` (``alpha`` and ``beta`` with
``dims="cohort"``, or the pooled ``alpha = phi kappa``, ``beta = (1 - phi) kappa``), either
each cohort has its own ``(alpha, beta)`` (``pooling="none"``: the maximum-likelihood fit of
each cohort alone), or the cohorts share the concentration ``kappa = alpha + beta`` and differ
in their mean churn probability ``phi_c = alpha_c / kappa`` (``pooling="kappa"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from customer_models._validation import as_pandas, require_columns
from customer_models.exceptions import CustomerModelsError, DataValidationError, ParameterError
from customer_models.valuation._sbg import ShiftedBetaGeoModel, log_likelihood_gradient_kernel

__all__ = ["CohortShiftedBetaGeoModel"]

_COLUMNS = ("cohort", "period", "survivors")
_POOLINGS = ("none", "kappa")


def _cohort_counts(data: Any) -> dict[Any, np.ndarray]:
    """Check the long table and return ``cohort -> survivor counts`` (periods 0, 1, ...)."""
    frame = as_pandas(data, what="cohort survival counts")
    require_columns(frame, _COLUMNS, what="cohort survival counts")
    cohort = frame["cohort"]
    if cohort.isna().any():
        raise DataValidationError(
            f"cohort must not be missing; {int(cohort.isna().sum())} rows have no cohort."
        )
    labels = (
        list(cohort.cat.categories)
        if isinstance(cohort.dtype, pd.CategoricalDtype)
        else list(pd.unique(cohort))
    )
    if not labels:
        raise DataValidationError("cohort survival counts have no rows; give at least one cohort.")
    period = pd.to_numeric(frame["period"], errors="coerce").to_numpy(dtype=float)
    surv = pd.to_numeric(frame["survivors"], errors="coerce").to_numpy(dtype=float)
    codes = pd.Categorical(cohort, categories=labels).codes
    out: dict[Any, np.ndarray] = {}
    for code, label in enumerate(labels):  # one pass per cohort, not per customer
        rows = np.flatnonzero(codes == code)
        if rows.size < 2:
            raise DataValidationError(
                f"cohort {label!r} has {rows.size} rows; each cohort needs its size at period 0 "
                "and the survivors after at least one period."
            )
        p, s = period[rows], surv[rows]
        order = np.argsort(p, kind="stable")
        p, s = p[order], s[order]
        if not np.array_equal(p, np.arange(p.size, dtype=float)):
            raise DataValidationError(
                f"cohort {label!r}: period must be 0, 1, ..., {p.size - 1} (each once); got "
                f"{p[:8].tolist()}."
            )
        if not np.all(np.isfinite(s)) or np.any((s < 0) | (s != np.floor(s))):
            raise DataValidationError(
                f"cohort {label!r}: survivors must be finite whole numbers >= 0."
            )
        up = np.flatnonzero(np.diff(s) > 0) + 1
        if up.size:
            raise DataValidationError(
                f"cohort {label!r}: survivors must not increase (survival is non-increasing); "
                f"{up.size} periods go up, e.g. periods {p[up[:5]].astype(int).tolist()}."
            )
        if not s[0] > 0:
            raise DataValidationError(f"cohort {label!r}: the cohort size at period 0 must be > 0.")
        out[label] = s
    return out


def _stacked(
    counts: dict[Any, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted ``(duration, churned)`` rows of all cohorts and each row's cohort code."""
    parts = [ShiftedBetaGeoModel.cohort_to_data(s) for s in counts.values()]
    code = np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)])
    rows = pd.concat(parts, ignore_index=True)
    return (
        rows["duration"].to_numpy(float),
        rows["churned"].to_numpy(float),
        rows["weight"].to_numpy(float),
        code,
    )


class CohortShiftedBetaGeoModel:
    """sBG retention model of several acquisition cohorts (Fader & Hardie 2007).

    Parameters
    ----------
    pooling : {"none", "kappa"}, default "none"
        ``"none"``: each cohort has its own ``(alpha, beta)``, fitted on its counts alone
        (identical to one :class:`ShiftedBetaGeoModel` per cohort). ``"kappa"``: the cohorts
        share ``kappa = alpha + beta`` and each has its own mean churn probability
        ``phi = alpha / kappa`` (one joint maximum-likelihood fit, ``C + 1`` parameters).

    Attributes
    ----------
    params_ : pandas.DataFrame
        ``alpha`` and ``beta`` per cohort (index ``cohort``).
    log_likelihood_ : float
        Total log-likelihood over all cohorts.
    models_ : dict
        ``cohort -> ShiftedBetaGeoModel`` at the cohort's parameters (its predictions).

    Examples
    --------
    >>> import pandas as pd
    >>> counts = {"regular": [1000, 631, 468, 382, 326, 289, 262, 241],
    ...           "high end": [1000, 869, 743, 653, 593, 551, 517, 491]}
    >>> data = pd.DataFrame([(c, t, s) for c, v in counts.items() for t, s in enumerate(v)],
    ...                     columns=["cohort", "period", "survivors"])
    >>> model = CohortShiftedBetaGeoModel().fit(data)
    >>> model.params_.round(3)
              alpha  beta
    cohort
    regular   0.704  1.182
    high end  0.668  3.806
    >>> model.survival([1]).round(3).values.tolist()
    [[0.627, 0.86]]
    """

    def __init__(self, pooling: str = "none") -> None:
        self.pooling = pooling

    def fit(self, data: Any) -> CohortShiftedBetaGeoModel:
        """Fit from the long table of survival counts (``cohort``, ``period``, ``survivors``).

        Raises
        ------
        CustomerModelsError
            A missing column, a cohort with fewer than two rows, periods that are not
            0, 1, ..., survivors that increase or are not whole numbers (the cohort is named).
        """
        if self.pooling not in _POOLINGS:
            raise ParameterError(f"pooling must be one of {_POOLINGS}; got {self.pooling!r}.")
        counts = _cohort_counts(data)
        if self.pooling == "none":
            models = {
                c: ShiftedBetaGeoModel().fit(
                    ShiftedBetaGeoModel.cohort_to_data(s), sample_weight="weight"
                )
                for c, s in counts.items()
            }
            params = np.array([m.params_.to_numpy() for m in models.values()])
            self.log_likelihood_ = float(sum(m.log_likelihood_ for m in models.values()))
        else:
            params, self.log_likelihood_ = self._fit_kappa(counts)
        self.params_ = pd.DataFrame(
            params, index=pd.Index(list(counts), name="cohort"), columns=["alpha", "beta"]
        )
        self.models_ = {
            c: ShiftedBetaGeoModel.from_params(alpha=float(a), beta=float(b))
            for c, (a, b) in zip(counts, params, strict=True)
        }
        return self

    @staticmethod
    def _fit_kappa(counts: dict[Any, np.ndarray]) -> tuple[np.ndarray, float]:
        """Joint fit in ``theta = (logit phi_1..C, log kappa)`` with the analytic gradient."""
        d, churned, w, code = _stacked(counts)
        n_c = len(counts)
        total = w.sum()

        def ab(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
            phi, kappa = expit(theta[:n_c]), float(np.exp(theta[-1]))
            return phi * kappa, (1.0 - phi) * kappa, phi, kappa

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            alpha, beta, phi, kappa = ab(theta)
            ll = np.empty(d.size)
            ga, gb = np.empty(d.size), np.empty(d.size)
            for i in range(n_c):  # one kernel call per cohort
                rows = code == i
                li, gi = log_likelihood_gradient_kernel(
                    np.array([alpha[i], beta[i]]), d[rows], churned[rows]
                )
                ll[rows], ga[rows], gb[rows] = li, gi[:, 0], gi[:, 1]
            dphi = np.bincount(code, w * (ga - gb), minlength=n_c) * kappa * phi * (1 - phi)
            dkappa = np.sum(w * (ga * alpha[code] + gb * beta[code]))
            grad = np.r_[dphi, dkappa]
            return -float(np.sum(w * ll)) / total, -grad / total

        start = np.r_[np.zeros(n_c), np.log(2.0)]
        bounds = [(-25.0, 25.0)] * n_c + [(-25.0, 25.0)]
        res = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000},
        )
        if not np.isfinite(res.fun):
            raise CustomerModelsError("the pooled sBG fit did not reach a finite likelihood.")
        alpha, beta, _, _ = ab(res.x)
        return np.c_[alpha, beta], -float(res.fun) * total

    def _each(self, method: str, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        if not hasattr(self, "models_"):
            from customer_models.exceptions import NotFittedError

            raise NotFittedError("CohortShiftedBetaGeoModel is not fitted; call fit first.")
        return {c: getattr(m, method)(*args, **kwargs) for c, m in self.models_.items()}

    def survival(self, t: Any) -> pd.DataFrame:
        """``S(t)`` per cohort: rows ``t`` (whole periods >= 0), one column per cohort."""
        t_arr = np.atleast_1d(np.asarray(t))
        return pd.DataFrame(self._each("survival", t_arr), index=pd.Index(t_arr, name="t"))

    def retention_rate(self, t: Any) -> pd.DataFrame:
        """``r(t) = S(t) / S(t - 1)`` per cohort: rows ``t`` (>= 1), one column per cohort."""
        t_arr = np.atleast_1d(np.asarray(t))
        return pd.DataFrame(self._each("retention_rate", t_arr), index=pd.Index(t_arr, name="t"))

    def expected_lifetime(self, *, discount_rate: float = 0.0) -> pd.Series:
        """DEL (mean lifetime when ``discount_rate = 0``) of a new customer of each cohort."""
        return pd.Series(
            self._each("expected_lifetime", discount_rate=discount_rate), name="expected_lifetime"
        ).rename_axis("cohort")

    def expected_residual_lifetime(
        self, periods_survived: Any, *, discount_rate: float
    ) -> pd.DataFrame:
        """DERL per cohort: rows ``periods_survived``, one column per cohort."""
        s = np.atleast_1d(np.asarray(periods_survived))
        values = self._each("expected_residual_lifetime", s, discount_rate=discount_rate)
        return pd.DataFrame(
            {c: np.asarray(v) for c, v in values.items()},
            index=pd.Index(s, name="periods_survived"),
        )
