"""The keywords of ``rfm_summary`` and ``calibration_holdout_split``, declared once for all engines.

The in-memory functions (:mod:`customer_models.summary`) spell out their keywords, types and
defaults. The Dask, Spark and SQL engines take the same keywords as ``**options`` (typed by the
``TypedDict`` classes here) and :func:`same_keywords` gives each of them the in-memory signature
(without what the engine does not support, plus the engine's own keywords): ``help`` and
``inspect.signature`` show every keyword with its default, a call is checked against it, and the
engine receives every keyword with the defaults filled in. The defaults live in one place, so an
engine cannot drift from the in-memory function. :func:`customer_models.log_interpurchase_sum`
and the SQL ``behavior_features`` take their in-memory peer's keywords the same way.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from customer_models._time import DateUnit, normalize_unit
from customer_models._transactions import (
    RefundPolicy,
    TransactionLog,
    read_with,
)

if TYPE_CHECKING:  # Python 3.10 has them only in typing_extensions; annotations stay strings
    from typing_extensions import Required

    from customer_models.typing import DateLike

__all__ = [
    "ParsedSplitOptions",
    "ParsedSummaryOptions",
    "SplitOptions",
    "SummaryOptions",
    "read_log",
    "same_keywords",
]

_F = TypeVar("_F", bound=Callable[..., Any])


class SummaryOptions(TypedDict, total=False):
    """The keywords of every engine's ``rfm_summary`` (defaults: the in-memory function's)."""

    customer_col: str
    date_col: str
    value_col: str | None
    freq: str
    time_unit: str | None
    observation_end: DateLike | None
    include_first_transaction: bool
    refunds: RefundPolicy


class SplitOptions(SummaryOptions, total=False):
    """The keywords of every engine's ``calibration_holdout_split``."""

    calibration_end: Required[DateLike]


class _ParsingOptions(TypedDict, total=False):
    date_format: str | None
    dayfirst: bool | None
    date_unit: DateUnit | None


class ParsedSummaryOptions(SummaryOptions, _ParsingOptions, total=False):
    """``rfm_summary``'s keywords with the date-parsing ones (the SQL engine refuses them)."""


class ParsedSplitOptions(SplitOptions, _ParsingOptions, total=False):
    """``calibration_holdout_split``'s keywords with the date-parsing ones."""


def read_log(transactions: Any, arguments: Mapping[str, Any]) -> tuple[str, str, TransactionLog]:
    """Return the canonical ``freq`` and ``time_unit`` (default: ``freq``) and the read log.

    ``arguments`` are a summary function's keywords (its ``locals()`` on entry, or the
    ``options`` of an engine): one place maps them to the reader.
    """
    freq = normalize_unit(arguments["freq"], "freq")
    unit = arguments["time_unit"]
    time_unit = freq if unit is None else normalize_unit(unit, "time_unit")
    return freq, time_unit, read_with(transactions, arguments)


def same_keywords(
    reference: Callable[..., Any], *, first: str = "transactions", drop: Collection[str] = ()
) -> Callable[[_F], _F]:
    """Give an engine function the keywords of the in-memory ``reference``, defaults included.

    The decorated function's signature is ``reference``'s with its first parameter named
    ``first``, without the keywords in ``drop``, followed by the function's own keyword-only
    parameters. A call is bound to it (Python's ``TypeError`` for an unknown or a missing
    keyword) and the function receives every keyword, the defaults filled in.
    """

    def decorate(func: _F) -> _F:
        shared = list(inspect.signature(reference).parameters.values())
        own = inspect.signature(func)
        signature = inspect.Signature(
            [
                shared[0].replace(name=first),
                *(p for p in shared[1:] if p.name not in drop),
                *(p for p in own.parameters.values() if p.kind is p.KEYWORD_ONLY),
            ],
            return_annotation=own.return_annotation,
        )

        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return func(*bound.args, **bound.kwargs)

        call.__signature__ = signature  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate
