"""The constructor parameters every covariate model takes.

scikit-learn's ``get_params`` and ``clone`` read each model's own ``__init__`` signature, so
every covariate model keeps its explicit signature (and its docstring) and stores its own
process parameters (``purchase_covariates``, ``dropout_link``, ...); the parameters they all
share are stored once here, through ``super().__init__(...)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CovariateModelInit"]


class CovariateModelInit:
    """Store ``penalizer``, ``penalizer_coef`` and ``time_unit`` unchanged (no validation).

    A covariate model lists this class first among its bases (the purchase models through
    :class:`~customer_models.valuation._covariate_model.PurchaseCovariateMixin`), so its
    ``__init__`` comes before the plain model's
    (:class:`~customer_models.valuation._base.ValuationModel` stores ``penalizer_coef`` and
    ``time_unit`` the same way).

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

    def __init__(
        self, *, penalizer: Any = 0.0, penalizer_coef: float = 0.0, time_unit: str | None = None
    ) -> None:
        self.penalizer = penalizer
        self.penalizer_coef = penalizer_coef
        self.time_unit = time_unit
