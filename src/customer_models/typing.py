"""Typed contracts: the duck types the library accepts where it takes a fitted model.

Functions such as :func:`~customer_models.customer_lifetime_value`,
:func:`~customer_models.evaluate_holdout`, :class:`~customer_models.PAliveChurnScorer`, the
``"probabilistic"`` :class:`~customer_models.LifecycleStageClassifier` and the plots take a
fitted model and call a few of its methods. These :class:`typing.Protocol` classes name those
methods, so that a type checker accepts every shipped model (and your own class with the same
methods) and rejects anything else. They are ``runtime_checkable``: ``isinstance(model,
FittedPurchaseModel)`` checks that the members exist (not their signatures).

Examples
--------
>>> from customer_models.typing import FittedPurchaseModel, FittedSpendModel
>>> from customer_models.valuation import BetaGeoModel, GammaGammaModel
>>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> isinstance(bg, FittedPurchaseModel), isinstance(bg, FittedSpendModel)
(True, False)
>>> isinstance(BetaGeoModel(), FittedPurchaseModel)  # not fitted: no params_ yet
False
>>> isinstance(GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44), FittedSpendModel)
True
"""

from __future__ import annotations

import datetime
from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd

from customer_models._progress import ProgressLike

__all__ = [
    "DateLike",
    "FittedPurchaseModel",
    "FittedSpendModel",
    "ProgressLike",
    "RandomStateLike",
    "SupportsProbabilityAlive",
    "SupportsSurvival",
]

#: A date or an instant: ``"1997-09-30"``, :class:`datetime.date`, :class:`datetime.datetime`,
#: :class:`numpy.datetime64`, :class:`pandas.Timestamp` or :class:`pandas.Period`.
DateLike: TypeAlias = str | datetime.date | np.datetime64 | pd.Timestamp | pd.Period

#: A seed: None, an integer in [0, 2**32) (numpy integers too), or a numpy Generator or
#: RandomState (whose stream seeds a new Generator).
RandomStateLike: TypeAlias = int | np.integer | np.random.Generator | np.random.RandomState | None

#: What a model method returns per customer: a Series on the data's index (an ndarray for
#: array input).
_PerCustomer: TypeAlias = pd.Series | np.ndarray


@runtime_checkable
class SupportsProbabilityAlive(Protocol):
    """A fitted model giving each customer's probability of still being active.

    What :class:`~customer_models.PAliveChurnScorer` and the ``"probabilistic"`` thresholds of
    :class:`~customer_models.LifecycleStageClassifier` call. Every shipped purchase model
    (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB) has it.
    """

    def probability_alive(self, data: Any) -> _PerCustomer:
        """Return P(alive) per row of the customer summary ``data``, each in [0, 1]."""
        ...


@runtime_checkable
class FittedPurchaseModel(SupportsProbabilityAlive, Protocol):
    """A fitted transaction (purchase-count) model, as CLV, holdout checks and plots use it.

    :func:`~customer_models.customer_lifetime_value` calls ``expected_purchases`` (one ``t``
    at a time for a model of your own; the shipped models are also integrated through their
    array kernels) and reads ``params_`` (fitted or not) and ``time_unit_`` (the unit of ``t``
    and of the summary's ``recency``/``T``; ``model_time_unit=`` overrides it);
    :func:`~customer_models.evaluate_holdout` and the plots also call ``probability_alive``.
    The shipped :class:`~customer_models.BetaGeoModel`,
    :class:`~customer_models.ModifiedBetaGeoModel`, :class:`~customer_models.ParetoNBDModel`
    and :class:`~customer_models.BetaGeoBetaBinomModel` satisfy it once fitted.
    """

    @property
    def params_(self) -> pd.Series:
        """Fitted parameters by name."""
        ...

    @property
    def time_unit_(self) -> str | None:
        """Unit of ``t`` and of the summary's ``recency`` and ``T`` (``"D"``, ``"W"``, ...)."""
        ...

    def expected_purchases(self, data: Any, *, t: Any) -> _PerCustomer:
        """Return the expected purchases per row of ``data`` in the next ``t`` time units."""
        ...


@runtime_checkable
class FittedSpendModel(Protocol):
    """A fitted spend model: expected spend per purchase of each customer.

    What :func:`~customer_models.customer_lifetime_value` and
    :func:`~customer_models.evaluate_holdout` call as ``spend_model``;
    :class:`~customer_models.GammaGammaModel` satisfies it once fitted.
    """

    @property
    def params_(self) -> pd.Series:
        """Fitted parameters by name."""
        ...

    def expected_spend(self, data: Any) -> _PerCustomer:
        """Return the expected spend per purchase per row of the customer summary ``data``."""
        ...


@runtime_checkable
class SupportsSurvival(Protocol):
    """A fitted contractual model with a survival curve (:class:`ShiftedBetaGeoModel`)."""

    def survival(self, t: Any) -> float | np.ndarray:
        """Return the share of a cohort still subscribed after ``t`` periods."""
        ...
