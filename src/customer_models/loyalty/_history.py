"""Tier histories: each customer's tier on a list of dates and the migrations between them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models.exceptions import ParameterError
from customer_models.loyalty._calendar import day_of, days_to_datetime

if TYPE_CHECKING:
    from customer_models.typing import DateLike

__all__ = ["NEW", "TierHistory", "tier_migrations"]

#: The "from" tier of customers who joined between two dates.
NEW = "(new)"


@dataclass
class TierHistory:
    """Tiers of every customer on a list of dates, and the migrations between them.

    Attributes
    ----------
    tiers : pandas.DataFrame
        One row per customer (index: customer id), one ordered-categorical column per date;
        missing where the customer had not bought yet.
    migrations : pandas.DataFrame
        Long table with one row per (``from_date``, ``to_date``, ``from_tier``, ``to_tier``)
        for consecutive dates: ``customers`` (count) and ``share`` (of the ``from_tier``
        customers). Customers who joined between the two dates come from ``"(new)"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models import LoyaltyProgram
    >>> program = LoyaltyProgram([("Base", 0), ("Gold", 100)], window="365D")
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [50.0, 60.0, 10.0],
    ...                    "date": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-01"])})
    >>> history = program.history(tx, as_of=["2024-01-31", "2024-03-31"])
    >>> history.matrix()
    to_tier    Base  Gold
    from_tier
    (new)         1     0
    Base          0     1
    Gold          0     0
    """

    tiers: pd.DataFrame
    migrations: pd.DataFrame
    _names: tuple[str, ...] = field(default=(), repr=False)

    def matrix(
        self, from_date: DateLike | None = None, to_date: DateLike | None = None
    ) -> pd.DataFrame:
        """Migration counts between two consecutive dates as a (from tier x to tier) table.

        Defaults to the last pair of dates. Rows are the tiers customers came from (including
        ``"(new)"``), columns the tiers they went to. Dates name their day (a time of day or
        a ``pd.Period`` ending that day picks the same pair).
        """
        table = self.migrations
        if table.empty:
            raise ParameterError("the history has fewer than two dates: no migrations.")
        to_date = table["to_date"].max() if to_date is None else _stamp(to_date, "to_date")
        chosen = table[table["to_date"] == to_date]
        if from_date is not None:
            chosen = chosen[chosen["from_date"] == _stamp(from_date, "from_date")]
        if chosen.empty:
            dates = sorted(table["to_date"].unique())
            raise ParameterError(f"no migrations ending on {to_date}; available: {dates}.")
        out = chosen.pivot_table(
            index="from_tier",
            columns="to_tier",
            values="customers",
            aggfunc="sum",
            fill_value=0,
            observed=False,
        )
        return out.astype(np.int64)


def _stamp(value: Any, name: str) -> pd.Timestamp:
    """Return the day of a date-like value as a Timestamp (the labels of a history)."""
    return pd.Timestamp(days_to_datetime(np.array([day_of(value, name=name)]))[0])


def tier_migrations(tiers: pd.DataFrame, categories: pd.CategoricalDtype) -> pd.DataFrame:
    """Count the migrations between consecutive date columns of ``tiers`` (a long table).

    Customers without a tier on the first date of a pair (not yet buying) come from ``NEW``.
    """
    frames = []
    steps = list(itertools.pairwise(tiers.columns))
    labels = pd.CategoricalDtype([NEW, *categories.categories], ordered=True)
    for start, end in steps:
        before = tiers[start].cat.add_categories([NEW]).fillna(NEW).astype(labels)
        after = tiers[end]
        joined = after.notna().to_numpy()
        counts = (
            pd.DataFrame({"from_tier": before[joined], "to_tier": after[joined]})
            .groupby(["from_tier", "to_tier"], observed=True)
            .size()
            .rename("customers")
            .reset_index()
        )
        totals = counts.groupby("from_tier", observed=True)["customers"].transform("sum")
        counts["share"] = counts["customers"] / totals
        counts.insert(0, "to_date", end)
        counts.insert(0, "from_date", start)
        frames.append(counts)
    if frames:
        migrations = pd.concat(frames, ignore_index=True)
    else:
        migrations = pd.DataFrame(
            {
                "from_date": pd.Series(dtype="datetime64[us]"),
                "to_date": pd.Series(dtype="datetime64[us]"),
                "from_tier": pd.Categorical([], dtype=labels),
                "to_tier": pd.Categorical([], dtype=categories),
                "customers": pd.Series(dtype=np.int64),
                "share": pd.Series(dtype=np.float64),
            }
        )
    return migrations
