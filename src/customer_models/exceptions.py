"""Exceptions and warnings raised by customer_models.

Every error the library raises on bad input is a :class:`CustomerModelsError`, itself a
:class:`ValueError`, so ``except ValueError`` keeps working for callers who do not care about
the details. Messages name the rule that failed, the column, how many rows broke it and the
first few offending customer ids, so the fix is obvious from the message alone.
"""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

__all__ = [
    "ConvergenceWarning",
    "CustomerModelsError",
    "DataValidationError",
    "MissingColumnError",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
]


class CustomerModelsError(ValueError):
    """Base class of every error customer_models raises on bad input or bad use."""


class MissingColumnError(CustomerModelsError):
    """A required column is absent; the message lists the available ones and the closest match."""


class DataValidationError(CustomerModelsError):
    """The data breaks a rule (NaN, negative value, recency > T, ...).

    Attributes
    ----------
    column : str or None
        The column that broke the rule.
    rule : str
        A short statement of the rule that was broken.
    n_rows : int
        How many rows broke it.
    examples : list
        The first few offending customer ids (or row labels).
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        rule: str = "",
        n_rows: int = 0,
        examples: list[object] | None = None,
    ) -> None:
        super().__init__(message)
        self.column = column
        self.rule = rule
        self.n_rows = n_rows
        self.examples = list(examples or [])


class ParameterError(CustomerModelsError):
    """An argument or a constructor parameter has an invalid value."""


class NotFittedError(CustomerModelsError, SklearnNotFittedError):
    """A model was used before ``fit`` (or ``from_params``).

    Also scikit-learn's ``NotFittedError`` (and so an ``AttributeError``), so scikit-learn's
    checks and ``except`` clauses written for it recognise ours.
    """


class ModelFileError(CustomerModelsError):
    """A saved model file is malformed, foreign, or from an incompatible version."""


class ConvergenceWarning(SklearnConvergenceWarning):
    """An optimizer did not converge cleanly; the message says what to try.

    Also scikit-learn's ``ConvergenceWarning`` (a ``UserWarning``), so one warnings filter
    covers both libraries.
    """
