"""The constructor parameters every covariate model takes.

Every covariate model is a dataclass (``eq=False, repr=False``: equality and repr stay
scikit-learn's) whose generated ``__init__`` stores its parameters unchanged, as scikit-learn's
``get_params`` and ``clone`` expect: its own process parameters (``purchase_covariates``,
``dropout_link``, ...) are its fields, and the parameters they all share are the keyword-only
fields stated once here.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


__all__ = ["CovariateModelInit"]


@dataclass(eq=False, repr=False)
class CovariateModelInit:
    """``penalizer``, ``penalizer_coef`` and ``time_unit``, stored unchanged (no validation).

    A covariate model lists this class first among its bases (the purchase models through
    :class:`~customer_models.valuation._covariate_model.PurchaseCovariateMixin`); its
    dataclass ``__init__`` takes these keyword-only fields after its own positional one and
    replaces the plain model's (:class:`~customer_models.valuation._base.ValuationModel`
    stores ``penalizer_coef`` and ``time_unit`` the same way).

    Parameters
    ----------
    penalizer : float or dict, default 0.0
        L2 penalty on the coefficients of the standardized covariates (one number or one
        per process).
    penalizer_coef : float, default 0.0
        The plain model's penalty, applied to the no-covariate fit (start and null model).
    time_unit : str, optional
        Name of the model's time unit.
    """

    _: KW_ONLY
    penalizer: float | Mapping[str, float] = 0.0
    penalizer_coef: float = 0.0
    time_unit: str | None = None
