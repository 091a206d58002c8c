"""The parameters of a covariate model: names, checks, the summary, per-row values, the file.

A covariate model is a valuation model whose parameters act per customer through
:class:`~customer_models.valuation._covariates.Link` objects. :class:`CovariateParamsMixin`
(the base of :class:`~customer_models.valuation._covariate_model.CovariateMixin`) gives it:

- ``params_`` holding the model's own parameters (the values at ``z = 0``) followed by the
  coefficients ``"<prefix>:<column>"`` on the original covariate scale, ``covariance_`` of
  all of them (delta method for the positive parameters), ``summary_`` with ``coef``, ``se``,
  ``lower``, ``upper`` (95%; log scale for the positive parameters), ``z`` and ``p_value``;
- :func:`likelihood_ratio`, the test of the covariates against the model without them;
- ``from_params`` taking coefficient names (the covariate columns are read off them), JSON
  ``save`` with the covariate names, covariate profiles for new customers, and the
  validated rows and per-row parameters of predictions (each covariate column read once,
  whatever the links).

The mixin overrides the base hooks that take the parameter names from the class:
``_estimate_tables`` and ``_n_free_params`` (the tables and the AIC/BIC count that
``_set_result`` stores) and ``_check_params``. Work-around of a base hook (the ideal hook is
listed in the session report): ``save_model`` keeps only scalar constructor arguments, so
``save`` adds the covariate lists to the file afterwards.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from customer_models._validation import require_columns
from customer_models.exceptions import DataValidationError, ModelFileError, ParameterError
from customer_models.valuation._covariates import Link, covariate_column, covariate_matrix
from customer_models.valuation._fit_result import _Z95, LOG_BOUND, log_scale_interval
from customer_models.valuation._fit_rows import as_frame
from customer_models.valuation._io import save_model

__all__ = ["CovariateParamsMixin", "likelihood_ratio"]


def likelihood_ratio(ll_full: float, ll_null: float, df: int) -> pd.Series:
    """Likelihood-ratio test of the covariates: ``2 (LL - LL_0)`` against chi-squared(df).

    Examples
    --------
    >>> likelihood_ratio(-100.0, -104.0, 2).round(4).tolist()
    [8.0, 2.0, 0.0183, -100.0, -104.0]
    """
    statistic = max(2.0 * (ll_full - ll_null), 0.0)
    p_value = float(stats.chi2.sf(statistic, df)) if df > 0 else math.nan
    return pd.Series(
        {
            "statistic": statistic,
            "df": float(df),
            "p_value": p_value,
            "log_likelihood": ll_full,
            "null_log_likelihood": ll_null,
        },
        name="likelihood_ratio_test",
    )


class CovariateParamsMixin:
    """Names, checks, results, per-row values and persistence of a covariate model."""

    param_names: ClassVar[tuple[str, ...]]
    time_unit: str | None  # a constructor parameter of every covariate model
    time_unit_: str | None  # set by fit and from_params
    params_: pd.Series  # set by the base's _set_result, from the tables of _estimate_tables
    required_columns: ClassVar[tuple[str, ...]]
    #: ``{prefix: (constructor argument, process)}`` of the coefficient vectors.
    _link_prefixes: ClassVar[dict[str, str]] = {}

    # ------------------------------------------------------------------ to be declared
    def _links(self) -> list[Link]:  # pragma: no cover - declared by each model
        raise NotImplementedError

    @classmethod
    def _init_from_names(cls, names: list[str]) -> dict[str, Any]:  # pragma: no cover
        """Return the constructor arguments that give the coefficient ``names``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ names and values
    def _coefficient_names(self) -> list[str]:
        return [n for link in self._links() for n in link.names]

    def _all_names(self) -> list[str]:
        return [*self.param_names, *self._coefficient_names()]

    def _covariate_columns(self) -> list[str]:
        """Distinct covariate columns of all links, in first-use order."""
        seen: dict[str, None] = {}
        for link in self._links():
            seen.update(dict.fromkeys(link.columns))
        return list(seen)

    @classmethod
    def _split_names(cls, params: Any) -> tuple[list[str], list[str]]:
        names = [str(n) for n in params]
        coefs = [n for n in names if n not in cls.param_names]
        bad = [n for n in coefs if n.split(":", 1)[0] not in cls._link_prefixes or ":" not in n]
        missing = [n for n in cls.param_names if n not in names]
        if bad or missing:
            raise ParameterError(
                f"{cls.__name__} takes the parameters {list(cls.param_names)} and coefficients "
                f"named '<prefix>:<column>' with prefix in {sorted(cls._link_prefixes)}; "
                f"missing {missing}, not understood {bad[:5]}."
            )
        return list(cls.param_names), coefs

    @classmethod
    def _check_params(cls, params: Any) -> np.ndarray:
        """Values in the model's order: its parameters (positive, in the box), coefficients."""
        base, coefs = cls._split_names(params)
        values = []
        low, high = math.exp(-LOG_BOUND), math.exp(LOG_BOUND)
        for n in base + coefs:
            v = params[n]
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
                raise ParameterError(f"{cls.__name__}: parameter {n} must be a number, got {v!r}.")
            v = float(v)
            ok = low <= v <= high if n in base else abs(v) <= LOG_BOUND
            if not ok:
                rule = (
                    f"in [{low:.3g}, {high:.3g}]"
                    if n in base
                    else f"in [-{LOG_BOUND:g}, {LOG_BOUND:g}]"
                )
                raise ParameterError(f"{cls.__name__}: parameter {n} must be {rule}, got {v}.")
            values.append(v)
        return np.array(values)

    @classmethod
    def from_params(cls, *, time_unit: str | None = None, **params: float) -> Any:
        """Build a ready-to-predict model from known parameters and coefficients.

        The covariate columns are read off the coefficient names (``"gamma:age"`` makes
        ``age`` a purchase covariate); see the class docstring for the prefixes.
        """
        values = cls._check_params(params)
        _, coefs = cls._split_names(params)
        model = cls(time_unit=time_unit, **cls._init_from_names(coefs))  # type: ignore[call-arg]
        if model._coefficient_names() != coefs:
            order = model._coefficient_names()
            values = np.concatenate(
                [values[: len(cls.param_names)], [float(params[n]) for n in order]]
            )
        model._set_result(  # type: ignore[attr-defined]
            values, covariance=None, log_likelihood=math.nan, n=math.nan
        )
        model.time_unit_ = time_unit
        return model

    def _estimate_tables(
        self, values: np.ndarray, covariance: np.ndarray | None
    ) -> tuple[pd.Series, pd.DataFrame | None, pd.DataFrame]:
        """Return the base's tables over parameters and coefficients, plus ``z`` and ``p_value``."""
        names = self._all_names()
        if len(names) != values.size:
            raise ParameterError(
                f"{type(self).__name__}: {values.size} values for the {len(names)} parameters "
                f"{names}."
            )
        index = pd.Index(names, name="param")
        params = pd.Series(values, index=index, name="coef")
        k = len(self.param_names)
        cov = None if covariance is None else np.asarray(covariance, dtype=np.float64)
        cov_frame = None if cov is None else pd.DataFrame(cov, index=index, columns=index)
        se = np.full(values.size, np.nan) if cov is None else np.sqrt(np.maximum(np.diag(cov), 0))
        if cov is not None:
            se[~np.isfinite(np.diag(cov))] = np.nan
        lower, upper = values - _Z95 * se, values + _Z95 * se
        # positive parameters: the interval on the log scale (delta method), so it stays > 0
        lower[:k], upper[:k] = log_scale_interval(values[:k], se[:k])
        z = np.full(values.size, np.nan)
        z[k:] = values[k:] / se[k:]
        p_value = 2.0 * stats.norm.sf(np.abs(z))
        summary = pd.DataFrame(
            {"coef": values, "se": se, "lower": lower, "upper": upper, "z": z, "p_value": p_value},
            index=index,
        )
        return params, cov_frame, summary

    def _n_free_params(self) -> int:
        """Count every parameter and coefficient (all are estimated)."""
        return len(self._all_names())

    # ------------------------------------------------------------------ per-row parameters
    def _base_and_coefs(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        self._require_fitted()  # type: ignore[attr-defined]
        values = self.params_.to_numpy(dtype=np.float64)
        k = len(self.param_names)
        out, start = {}, k
        for link in self._links():
            out[link.prefix] = values[start : start + len(link.columns)]
            start += len(link.columns)
        return values[:k], out

    def _covariate_rows(
        self, data: Any, what: str = "data"
    ) -> tuple[dict[str, np.ndarray], np.ndarray, pd.Index | None]:
        """Return the validated columns, per-row parameters ``(k, n)`` and index (None: arrays)."""
        self._require_fitted()  # type: ignore[attr-defined]
        frame, from_arrays = as_frame(
            data, (*self.required_columns, *self._covariate_columns()), what
        )
        cols, _ = self._prepare(frame, what=what, check_unit=not from_arrays)  # type: ignore[attr-defined]
        return cols, self._row_params(frame, what), None if from_arrays else frame.index

    def _loadings(self, coefs: Mapping[str, np.ndarray], columns: list[str]) -> np.ndarray:
        """``(k, p)``: what one unit of each covariate column adds to each log parameter.

        The links' ``sign * coefficient`` summed per (parameter, column), so the per-row log
        parameters are ``log(base) + loadings @ z`` whatever the links share.
        """
        position = {c: j for j, c in enumerate(columns)}
        out = np.zeros((len(self.param_names), len(columns)))
        for link in self._links():
            for q, c in enumerate(link.columns):
                for j, sign in link.targets:
                    out[j, position[c]] += sign * coefs[link.prefix][q]
        return out

    def _row_params(self, frame: pd.DataFrame, what: str) -> np.ndarray:
        """Per-row natural parameters ``(k, n)`` from the covariate columns of ``frame``.

        Each covariate column is checked and read once (no copy when it is float64), however
        many links use it, and added times its loadings to the log parameters it moves; the
        clip and the exponential work in place (scoring a million customers is a few reads
        of the columns, not one matrix per link).
        """
        base, coefs = self._base_and_coefs()
        columns = self._covariate_columns()
        loadings = self._loadings(coefs, columns)
        if columns:
            require_columns(frame, columns, what=what)
        log_p = np.empty((base.size, len(frame)))
        log_p[:] = np.log(base)[:, None]
        term = np.empty(len(frame))
        for c, name in enumerate(columns):
            values = covariate_column(frame, name, what)
            for j in np.flatnonzero(loadings[:, c]):
                np.multiply(values, loadings[j, c], out=term)
                log_p[j] += term
        np.clip(log_p, -700.0, 700.0, out=log_p)
        return np.exp(log_p, out=log_p)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> None:
        """Save the fitted model (parameters, coefficients and their names) as JSON.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file.
        """
        save_model(self, path)
        lists = {
            k: list(v)
            for k, v in self.get_params().items()  # type: ignore[attr-defined]
            if isinstance(v, (list, tuple))
        }
        try:
            with open(path, encoding="utf-8") as fh:
                payload = json.load(fh)
            payload["init_params"].update(lists)
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=2, allow_nan=False)
        except OSError as exc:  # pragma: no cover - save_model wrote it a moment ago
            raise ModelFileError(
                f"cannot write the model file {os.fspath(path)!s}: {exc}."
            ) from None

    def _profiles(self, covariates: Any, names: list[str]) -> pd.DataFrame:
        if covariates is None:
            raise ParameterError(
                f"{type(self).__name__} has covariates {names}: pass covariates= (a DataFrame "
                "of profiles, one row each, or a dict for one profile)."
            )
        if isinstance(covariates, Mapping) and not isinstance(covariates, pd.DataFrame):
            covariates = pd.DataFrame({k: [v] for k, v in covariates.items()})
        frame, _ = as_frame(covariates, tuple(names), "covariates")
        extra = [c for c in frame.columns if c not in names]
        if extra:
            raise DataValidationError(
                f"covariates has columns the model does not use: {extra[:5]} (the model's "
                f"covariates are {names}).",
                rule="covariate profiles hold exactly the model's covariates",
            )
        covariate_matrix(frame, names, "covariates")  # missing / non-numeric / NaN errors
        return frame

    def _profile_params(self, covariates: Any) -> tuple[np.ndarray, pd.Index | None]:
        """Parameters of new customers and the index of their profiles.

        Without covariates in the model or given: the base parameters ``(k,)`` and None;
        else the parameters ``(k, n_profiles)`` of the profiles ``covariates`` (see
        :meth:`_profiles`) and their index.
        """
        base, _ = self._base_and_coefs()
        names = self._covariate_columns()
        if not names and covariates is None:
            return base, None
        profiles = self._profiles(covariates, names)
        return self._row_params(profiles, "covariates"), profiles.index
