"""Multi-cohort sBG: one shifted-beta-geometric retention curve per acquisition cohort.

Input is the survival counts sBG takes (:meth:`ShiftedBetaGeoModel.cohort_to_data`), stacked
in one long table with a ``cohort`` column: ``cohort``, ``period`` (0, 1, 2, ... within each
cohort) and ``survivors`` (customers still active after ``period`` periods; the cohort size at
period 0). As in pymc-marketing's ``ShiftedBetaGeoModel`` (``alpha`` and ``beta`` with
``dims="cohort"``, or the pooled ``alpha = phi kappa``, ``beta = (1 - phi) kappa``), either
each cohort has its own ``(alpha, beta)`` (``pooling="none"``: the maximum-likelihood fit of
each cohort alone), or the cohorts share the concentration ``kappa = alpha + beta`` and differ
in their mean churn probability ``phi_c = alpha_c / kappa`` (``pooling="kappa"``).

Standard errors: with ``pooling="none"`` each cohort's sBG covariance (the cohorts are fitted
independently, so the joint covariance is block diagonal); with ``"kappa"`` the inverse
Hessian of the joint fit in ``(logit phi_1..C, log kappa)``, by central differences of its
analytic gradient, mapped to every ``(alpha_c, beta_c)`` by the delta method. A fitted model
saves to the library's JSON model format (:meth:`CohortShiftedBetaGeoModel.save`) and
:func:`~customer_models.valuation.load_model` reads it back.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from customer_models._validation import as_pandas, require_columns
from customer_models._version import __version__
from customer_models.exceptions import (
    ConvergenceWarning,
    CustomerModelsError,
    DataValidationError,
    NotFittedError,
    ParameterError,
)
from customer_models.valuation._fit_result import estimate_tables
from customer_models.valuation._io import FORMAT_NAME, FORMAT_VERSION, write_model_text
from customer_models.valuation._registry import register_loader
from customer_models.valuation._sbg import ShiftedBetaGeoModel, log_likelihood_gradient_kernel

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["CohortShiftedBetaGeoModel"]

_COLUMNS = ("cohort", "period", "survivors")
_POOLINGS = ("none", "kappa")
_PARAMS = ("alpha", "beta")
#: Relative step of the central differences of the pooled fit's gradient.
_HESSIAN_STEP = 1e-5


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
    covariance_ : pandas.DataFrame
        Covariance of all ``(alpha, beta)`` estimates, indexed by ``(cohort, param)`` on both
        axes (NaN when the Hessian is not positive definite, with a ConvergenceWarning).
    summary_ : pandas.DataFrame
        ``coef``, ``se``, ``lower``, ``upper`` (95%, log scale) per ``(cohort, param)``.
    log_likelihood_ : float
        Total log-likelihood over all cohorts.
    n_customers_ : float
        Customers in all cohorts (the period-0 sizes).
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
    >>> model.summary_.loc["regular", "se"].round(3).tolist()
    [0.066, 0.152]
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
            log_likelihood = float(sum(m.log_likelihood_ for m in models.values()))
            covariance = _block_diagonal([_covariance(m) for m in models.values()])
        else:
            params, log_likelihood, covariance = self._fit_kappa(counts)
        n = float(sum(s[0] for s in counts.values()))
        return self._set_result(list(counts), params, covariance, log_likelihood, n)

    def _set_result(
        self,
        cohorts: list[Any],
        params: np.ndarray,
        covariance: np.ndarray,
        log_likelihood: float,
        n_customers: float,
    ) -> CohortShiftedBetaGeoModel:
        index = pd.Index(cohorts, name="cohort")
        self.params_ = pd.DataFrame(params, index=index, columns=list(_PARAMS))
        rows = pd.MultiIndex.from_product([index, list(_PARAMS)], names=["cohort", "param"])
        flat = [f"{c}:{p}" for c, p in rows]  # estimate_tables takes flat names
        _, cov, summary = estimate_tables(flat, params.ravel(), covariance)
        self.covariance_ = pd.DataFrame(np.asarray(cov), index=rows, columns=rows)
        self.summary_ = summary.set_axis(rows)
        self.log_likelihood_ = float(log_likelihood)
        self.n_customers_ = float(n_customers)
        self.models_ = {
            c: ShiftedBetaGeoModel.from_params(alpha=float(a), beta=float(b))
            for c, (a, b) in zip(cohorts, params, strict=True)
        }
        if not np.all(np.isfinite(covariance)):
            warnings.warn(
                "CohortShiftedBetaGeoModel: the Hessian is not positive definite at the "
                "estimates, so there are no standard errors (summary_ se is NaN).",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    @staticmethod
    def _fit_kappa(counts: dict[Any, np.ndarray]) -> tuple[np.ndarray, float, np.ndarray]:
        """Joint fit in ``theta = (logit phi_1..C, log kappa)`` with the analytic gradient.

        Returns the ``(alpha, beta)`` rows, the log-likelihood and their covariance.
        """
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
        alpha, beta, phi, kappa = ab(res.x)
        hessian = _difference_hessian(lambda th: objective(th)[1], res.x) * total
        # d(alpha_c, beta_c) / d(logit phi_c, log kappa), cohort rows interleaved
        jac = np.zeros((2 * n_c, n_c + 1))
        cohorts = np.arange(n_c)
        jac[2 * cohorts, cohorts] = kappa * phi * (1.0 - phi)
        jac[2 * cohorts + 1, cohorts] = -kappa * phi * (1.0 - phi)
        jac[2 * cohorts, n_c], jac[2 * cohorts + 1, n_c] = alpha, beta
        return np.c_[alpha, beta], -float(res.fun) * total, _delta_method(hessian, jac)

    def _each(self, method: str, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        if not hasattr(self, "models_"):
            raise NotFittedError("CohortShiftedBetaGeoModel is not fitted; call fit first.")
        return {c: getattr(m, method)(*args, **kwargs) for c, m in self.models_.items()}

    def survival(self, t: int | ArrayLike) -> pd.DataFrame:
        """``S(t)`` per cohort: rows ``t`` (whole periods >= 0), one column per cohort."""
        t_arr = np.atleast_1d(np.asarray(t))
        return pd.DataFrame(self._each("survival", t_arr), index=pd.Index(t_arr, name="t"))

    def retention_rate(self, t: int | ArrayLike) -> pd.DataFrame:
        """``r(t) = S(t) / S(t - 1)`` per cohort: rows ``t`` (>= 1), one column per cohort."""
        t_arr = np.atleast_1d(np.asarray(t))
        return pd.DataFrame(self._each("retention_rate", t_arr), index=pd.Index(t_arr, name="t"))

    def expected_lifetime(self, *, discount_rate: float = 0.0) -> pd.Series:
        """DEL (mean lifetime when ``discount_rate = 0``) of a new customer of each cohort."""
        return pd.Series(
            self._each("expected_lifetime", discount_rate=discount_rate), name="expected_lifetime"
        ).rename_axis("cohort")

    def expected_residual_lifetime(
        self, periods_survived: int | ArrayLike, *, discount_rate: float
    ) -> pd.DataFrame:
        """DERL per cohort: rows ``periods_survived``, one column per cohort."""
        s = np.atleast_1d(np.asarray(periods_survived))
        values = self._each("expected_residual_lifetime", s, discount_rate=discount_rate)
        return pd.DataFrame(
            {c: np.asarray(v) for c, v in values.items()},
            index=pd.Index(s, name="periods_survived"),
        )

    def to_json(self) -> str:
        """Return the fitted model as the text of a model file (see :meth:`save`)."""
        self._each("survival", 0)  # not fitted: NotFittedError
        cov = self.covariance_.to_numpy()
        payload = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "class": type(self).__name__,
            "library_version": __version__,
            "init_params": {"pooling": self.pooling},
            "cohorts": [_label_to_json(c) for c in self.params_.index],
            "params": self.params_.to_numpy().tolist(),
            "covariance": [[None if not np.isfinite(v) else float(v) for v in r] for r in cov],
            "log_likelihood": self.log_likelihood_,
            "n_customers": self.n_customers_,
        }
        return json.dumps(payload, indent=2, allow_nan=False)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model to ``path`` as JSON; :func:`load_model` reads it back.

        Cohort labels must be str or int (a label of another type raises ParameterError).

        Examples
        --------
        >>> import pathlib, tempfile
        >>> import pandas as pd
        >>> from customer_models.valuation import load_model
        >>> counts = {"regular": [1000, 631, 468, 382], "high end": [1000, 869, 743, 653]}
        >>> data = pd.DataFrame([(c, t, s) for c, v in counts.items() for t, s in enumerate(v)],
        ...                     columns=["cohort", "period", "survivors"])
        >>> model = CohortShiftedBetaGeoModel(pooling="kappa").fit(data)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     model.save(pathlib.Path(d) / "cohorts.json")
        ...     loaded = load_model(pathlib.Path(d) / "cohorts.json")
        >>> loaded.params_.equals(model.params_), loaded.pooling
        (True, 'kappa')
        """
        write_model_text(self.to_json(), path)

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> CohortShiftedBetaGeoModel:
        """Rebuild the model a payload of :meth:`to_json` describes (for ``load_model``)."""
        model = cls(**payload["init_params"])
        params = np.array(payload["params"], dtype=float).reshape(-1, 2)
        cov = np.array(
            [[np.nan if v is None else float(v) for v in r] for r in payload["covariance"]]
        )
        if cov.shape != (params.size, params.size) or not np.all(params > 0):
            raise ValueError("params must be positive (alpha, beta) rows matching covariance")
        cohorts = list(payload["cohorts"])
        with warnings.catch_warnings():  # a file without SEs warned when it was fitted
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model._set_result(
                cohorts,
                params,
                cov,
                float(payload["log_likelihood"]),
                float(payload["n_customers"]),
            )


register_loader(CohortShiftedBetaGeoModel.__name__, CohortShiftedBetaGeoModel._from_payload)


def _label_to_json(label: Any) -> str | int:
    if isinstance(label, (str, int, np.integer)) and not isinstance(label, bool):
        return label if isinstance(label, str) else int(label)
    raise ParameterError(
        f"cohort labels must be str or int to save the model; got {label!r} "
        f"({type(label).__name__}). Relabel the cohorts (e.g. data['cohort'].astype(str))."
    )


def _covariance(model: ShiftedBetaGeoModel) -> np.ndarray:
    cov = model.covariance_
    return np.full((2, 2), np.nan) if cov is None else cov.to_numpy()


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for block in blocks:
        k = block.shape[0]
        out[at : at + k, at : at + k] = block
        at += k
    return out


def _difference_hessian(gradient: Any, theta: np.ndarray) -> np.ndarray:
    """Symmetrized central differences of an analytic ``gradient(theta)``."""
    k = theta.size
    hess = np.empty((k, k))
    for j in range(k):  # k = cohorts + 1 evaluations pairs
        step = np.zeros(k)
        step[j] = _HESSIAN_STEP * max(1.0, abs(theta[j]))
        hess[:, j] = (gradient(theta + step) - gradient(theta - step)) / (2.0 * step[j])
    return 0.5 * (hess + hess.T)


def _delta_method(hessian: np.ndarray, jacobian: np.ndarray) -> np.ndarray:
    """``J H^-1 J'``; all NaN when the Hessian is not positive definite."""
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return np.full((jacobian.shape[0],) * 2, np.nan)
    cov = jacobian @ np.linalg.inv(hessian) @ jacobian.T
    return 0.5 * (cov + cov.T)
