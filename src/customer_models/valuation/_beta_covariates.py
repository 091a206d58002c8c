"""Covariate links and per-row evaluation shared by the beta-parameter covariate models.

The BG/BB (:mod:`customer_models.valuation._bgbb_covariates`) and sBG
(:mod:`customer_models.valuation._sbg_covariates`) covariate models put covariates on the
two parameters of a beta distribution per process: one coefficient vector on each
(``"separate"``) or one on both (``"shared"``), and evaluate their rows and profile curves
through :class:`BetaCovariateMixin`. The BG/NBD and MBG/NBD covariate models
(:mod:`customer_models.valuation._bgnbd_covariates`) link their beta-distributed dropout
process with :func:`link_pair` and read coefficient names with :func:`by_prefix`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._validation import check_choice
from customer_models.exceptions import ParameterError
from customer_models.valuation._covariate_model import CovariateMixin
from customer_models.valuation._covariates import Link
from customer_models.valuation._fit_rows import row_ids

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


__all__ = ["BetaCovariateMixin", "by_prefix", "link_arguments", "link_pair"]


def link_pair(
    columns: tuple[str, ...],
    link: str,
    argument: str,
    targets: tuple[int, int],
    names: tuple[str, str, str],
    process: str | None = None,
) -> list[Link]:
    """Return the links of one beta-distributed process: one vector per parameter, or shared.

    ``names`` are the prefixes ``(first, second, shared)``; ``process`` (the penalty that
    applies) defaults to the shared prefix.
    """
    choice = check_choice(link, argument, ["separate", "shared"])
    process = names[2] if process is None else process
    if choice == "separate":
        return [
            Link(names[0], ((targets[0], 1.0),), columns, process),
            Link(names[1], ((targets[1], 1.0),), columns, process),
        ]
    return [Link(names[2], ((targets[0], 1.0), (targets[1], 1.0)), columns, process)]


def link_arguments(
    by_prefix: dict[str, list[str]], names: tuple[str, str, str]
) -> tuple[list[str], str]:
    """``(columns, link)`` of one process from its coefficient names (see :func:`link_pair`)."""
    first, second, shared = names
    if shared in by_prefix and (first in by_prefix or second in by_prefix):
        raise ParameterError(
            f"give either {shared}:<column> or {first}:/{second}:<column>, not both."
        )
    if shared in by_prefix:
        return by_prefix[shared], "shared"
    if by_prefix.get(first, []) != by_prefix.get(second, []):
        raise ParameterError(
            f"{first} and {second} coefficients need the same columns in the same order; got "
            f"{by_prefix.get(first, [])} and {by_prefix.get(second, [])}."
        )
    return by_prefix.get(first, []), "separate"


def by_prefix(names: list[str]) -> dict[str, list[str]]:
    """``{prefix: [columns]}`` of coefficient names ``"<prefix>:<column>"``."""
    out: dict[str, list[str]] = {}
    for n in names:
        prefix, column = n.split(":", 1)
        out.setdefault(prefix, []).append(column)
    return out


# ---------------------------------------------------------------------- the rows
class BetaCovariateMixin(CovariateMixin):
    """Log-likelihood and profile curves of the beta covariate models.

    Subclasses declare ``_null_class`` (the model without covariates: the fit's start and
    null model, see :meth:`CovariateMixin._null_model`) and the per-row kernels of
    :meth:`CovariateMixin.fit`, among them ``_rows_loglik_kernel(params (k, n), *required
    columns)``, which :meth:`log_likelihood` also evaluates. Rows and per-row parameters
    come from the base (``CovariateParamsMixin._covariate_rows``; ``_row_params`` reads
    each covariate column once for all links).
    """

    def _at_profiles(
        self, values: Callable[[np.ndarray], np.ndarray], t: np.ndarray, covariates: Any, name: str
    ) -> Any:
        """Evaluate ``values(params (k, n_profiles, 1) or (k,))`` at ``t``; wrap per profile.

        Without covariates (and no profiles) at the base parameters: a float for scalar
        ``t``, else an array; with, a Series ``name`` per profile for scalar ``t``, else a
        DataFrame (profiles x t).
        """
        self._links()  # invalid covariate arguments raise before an unfitted model does
        params, index = self._profile_params(covariates)
        if index is None:
            out = np.asarray(values(params), dtype=np.float64)
            return float(out) if t.ndim == 0 else out
        out = np.asarray(values(params[:, :, None]), dtype=np.float64)
        out = np.broadcast_to(out, (len(index), max(t.size, 1)))
        if t.ndim == 0:
            return pd.Series(out[:, 0].copy(), index=index, name=name)
        return pd.DataFrame(out.copy(), index=index, columns=pd.Index(t, name="t"))

    def log_likelihood(self, X: Any, *, sample_weight: str | ArrayLike | None = None) -> float:
        """Total log-likelihood of ``X`` (with its covariates) under the fitted parameters.

        Parameters
        ----------
        X : pandas.DataFrame
            The model's ``required_columns`` and the covariate columns.
        sample_weight : None, str or array-like
            Per-row counts.

        Returns
        -------
        float
        """
        cols, params, index = self._covariate_rows(X)
        size = cols[self.required_columns[0]].size
        w = self._weights(X, sample_weight, size, row_ids(index, size))  # type: ignore[attr-defined]
        ll = type(self)._rows_loglik_kernel(params, *(cols[c] for c in self.required_columns))
        return float(w @ np.where(w > 0, ll, 0.0))
