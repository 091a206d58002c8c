"""LoyaltyProgram: tier rules, points and their evaluation over a transaction table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from customer_models._transactions import TransactionLog
from customer_models.exceptions import ParameterError
from customer_models.loyalty._calendar import (
    Window,
    add_months,
    boundaries,
    day_of,
    days_to_datetime,
    parse_calendar_offset,
    parse_window,
)
from customer_models.loyalty._daily import Daily, prepare_daily, read_log
from customer_models.loyalty._history import TierHistory, tier_migrations
from customer_models.loyalty._points import NO_DAY, PointRules, fifo_points, parse_rules
from customer_models.loyalty._reasons import build_reasons
from customer_models.loyalty._segments import segment_cumsum
from customer_models.loyalty._tiers import Tiers, TierScan, parse_tiers, scan_tiers

if TYPE_CHECKING:
    from customer_models.loyalty._points import RuleTableLike
    from customer_models.loyalty._tiers import TierTable
    from customer_models.typing import DateLike

__all__ = ["LoyaltyProgram", "TierHistory"]

_COLUMNS = [
    "qualifying_value",
    "tier",
    "amount_to_keep_tier",
    "next_tier",
    "amount_to_next_tier",
    "points_balance",
    "points_expiring_next",
    "points_expiry_date",
    "reason",
]


@dataclass(frozen=True)
class _Spec:
    tiers: Tiers
    qualifying: str
    window: Window
    review: pd.DateOffset
    rules: PointRules
    grace_periods: int
    soft_landing: bool


@dataclass
class _State:
    daily: Daily
    as_of: int
    scan: TierScan
    current: np.ndarray
    reviews: np.ndarray
    next_review: int
    bounds: np.ndarray | None
    key: np.ndarray


@dataclass(eq=False, repr=False)
class LoyaltyProgram(BaseEstimator):
    """A loyalty program: tiers, qualification window, reviews and points, as data.

    Parameters
    ----------
    tiers : list of (name, threshold), dict or DataFrame
        Tier names with strictly ascending thresholds on the qualifying value, from the entry
        tier (threshold 0, held by every customer) up, e.g.
        ``[("Base", 0), ("Silver", 500), ("Gold", 2000)]``. A DataFrame needs a ``tier`` (or
        ``name``) and a ``threshold`` column.
    qualifying : str, default "spend"
        What the thresholds count in the window: ``"spend"`` (net amount; refunds, i.e.
        negative amounts, reduce it), ``"points"`` (net points earned; redemptions do not
        reduce it), ``"visits"`` (days with a positive net amount) or the name of a numeric
        transaction column to sum (e.g. ``"nights"``).
    window : str, default "YS"
        The qualification window: a rolling number of days (``"365D"``: the 365 days up to and
        including the evaluation day) or a calendar period start (``"YS"`` calendar year,
        ``"YS-APR"``, ``"QS"``, ``"MS"``, ``"W-MON"``: from the start of the current period).
    review : str, optional
        Calendar period start of the review dates, on which downgrades happen (at the start of
        the day, looking at the window that ended the day before). Defaults to the calendar
        window's period, or ``"YS"`` (every 1 January) for a rolling window.
    points : float, default 1.0
        Points earned per currency unit of ``value_col``.
    multipliers : dict or DataFrame, optional
        Point multipliers by row attribute, ``{column: {value: multiplier}}``, e.g.
        ``{"channel": {"app": 2.0}}``; multipliers of several columns multiply. A DataFrame
        needs columns ``column``, ``value``, ``multiplier``. Multipliers must be >= 0.
    bonuses : dict or DataFrame, optional
        Fixed points per row by row attribute, ``{column: {value: points}}``, e.g. referral
        rows ``{"type": {"referral": 250}}``. A DataFrame needs ``column``, ``value``,
        ``points``.
    expiry_months : int, optional
        Points expire this many months after the day they were earned (at the start of that
        day), oldest first. ``None``: points never expire.
    grace_periods : int, default 0
        Reviews a customer may miss while keeping their tier. The count restarts when they
        requalify, are upgraded or are downgraded.
    soft_landing : bool, default False
        Drop at most one tier per review.
    customer_col, date_col, value_col : str
        Transaction columns.
    redeemed_col : str, optional
        Column of points redeemed on each row (>= 0); redemptions use the oldest points first.
    date_format, dayfirst
        How string (or integer, ``date_format="%Y%m%d"``) transaction dates are read, as in
        :func:`~customer_models.rfm_summary`; an ambiguous day/month order is an error
        without them. Timezone-aware dates count on their local day; dates far from 1970 (a
        ``9999-12-31`` sentinel) are dates like any other, never wrapped.

    Notes
    -----
    **Tier rules.** The qualifying value at the end of day ``e`` is the sum over the window
    ending on ``e``. A customer is upgraded at once, on the day the value first reaches a
    higher threshold. Downgrades happen only on review dates ``r``: the customer's tier is
    compared with the tier earned by the window ending on ``r - 1``; below it, they keep the
    tier under grace (``grace_periods``) or drop to the earned tier (with ``soft_landing``, to
    at most one tier lower). All rows of one customer-day are netted before the rules run, so
    the order of rows never matters.

    **Points.** Each row earns ``amount * points * multipliers + bonuses`` (refund rows give
    negative points). A customer-day's net movement (earned - refunded - redeemed) is a lot
    if positive, and uses points from the oldest lots first if negative. The balance is
    ``earned - used - expired``; it is negative only when more points were taken back than
    were available at that moment (e.g. a refund after the points expired); later earnings
    make up the shortfall first.

    Validation happens in :meth:`validate`, which :meth:`tiers_at` and :meth:`history` call
    (``__init__`` only stores its arguments, as in scikit-learn).

    Examples
    --------
    >>> import pandas as pd
    >>> program = LoyaltyProgram([("Base", 0), ("Silver", 500), ("Gold", 2000)],
    ...                          window="YS", expiry_months=12)
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2024-02-01", "2024-06-01", "2024-03-01"]),
    ...     "amount": [300.0, 2010.0, 120.0]})
    >>> result = program.tiers_at(tx, as_of="2024-12-31")
    >>> result[["qualifying_value", "tier", "points_balance"]]
                 qualifying_value  tier  points_balance
    customer_id
    a                      2310.0  Gold          2310.0
    b                       120.0  Base           120.0
    >>> result.loc["a", "reason"]
    'qualified: spend 2,310 >= Gold 2,000 in window 2024-01-01..2024-12-31'
    """

    # The dataclass __init__ only stores the parameters (validation is in validate()), as
    # scikit-learn's get_params/clone expect; repr and equality stay BaseEstimator's.
    tiers: TierTable
    _: KW_ONLY
    qualifying: str = "spend"
    window: str = "YS"
    review: str | None = None
    points: float = 1.0
    multipliers: RuleTableLike | None = None
    bonuses: RuleTableLike | None = None
    expiry_months: int | None = None
    grace_periods: int = 0
    soft_landing: bool = False
    customer_col: str = "customer_id"
    date_col: str = "date"
    value_col: str = "amount"
    redeemed_col: str | None = None
    date_format: str | None = None
    dayfirst: bool | None = None

    # ------------------------------------------------------------------ validation
    def _spec(self) -> _Spec:
        tiers = parse_tiers(self.tiers)
        if not isinstance(self.qualifying, str) or not self.qualifying:
            raise ParameterError(
                "qualifying must be 'spend', 'points', 'visits' or the name of a numeric "
                f"transaction column, got {self.qualifying!r}."
            )
        window = parse_window(self.window, name="window")
        if self.review is None:
            review = (
                window.offset
                if window.offset is not None
                else parse_calendar_offset("YS", name="review")
            )
        else:
            review = parse_calendar_offset(self.review, name="review")
        rules = parse_rules(self.points, self.multipliers, self.bonuses, self.expiry_months)
        grace = self.grace_periods
        if isinstance(grace, bool) or not isinstance(grace, (int, np.integer)) or grace < 0:
            raise ParameterError(
                f"grace_periods must be a whole number of reviews >= 0, got {grace!r}."
            )
        if not isinstance(self.soft_landing, (bool, np.bool_)):
            raise ParameterError(f"soft_landing must be True or False, got {self.soft_landing!r}.")
        for name in ("customer_col", "date_col", "value_col"):
            if not isinstance(getattr(self, name), str):
                raise ParameterError(f"{name} must be a column name (str).")
        if self.redeemed_col is not None and not isinstance(self.redeemed_col, str):
            raise ParameterError("redeemed_col must be a column name (str) or None.")
        if self.date_format is not None and not isinstance(self.date_format, str):
            raise ParameterError(
                f"date_format must be a strptime format such as '%d/%m/%Y', got "
                f"{self.date_format!r}."
            )
        if self.dayfirst is not None and not isinstance(self.dayfirst, (bool, np.bool_)):
            raise ParameterError(f"dayfirst must be True, False or None, got {self.dayfirst!r}.")
        return _Spec(
            tiers, self.qualifying, window, review, rules, int(grace), bool(self.soft_landing)
        )

    def validate(self) -> LoyaltyProgram:
        """Check the program's parameters; raise :class:`ParameterError` if one is invalid.

        Called by :meth:`tiers_at` and :meth:`history`. Columns are checked against the data
        there (:class:`MissingColumnError`).

        Returns
        -------
        LoyaltyProgram
            ``self``, so ``LoyaltyProgram(...).validate()`` can be chained.

        Examples
        --------
        >>> LoyaltyProgram([("Base", 0), ("Gold", 2000), ("Silver", 500)]).validate()
        Traceback (most recent call last):
        ...
        customer_models.exceptions.ParameterError: tier thresholds must be listed in ascending
        order, ...
        """
        self._spec()
        return self

    # ------------------------------------------------------------------ kernels
    def _read(self, spec: _Spec, transactions: Any) -> TransactionLog:
        return read_log(
            transactions,
            customer_col=self.customer_col,
            date_col=self.date_col,
            value_col=self.value_col,
            qualifying=spec.qualifying,
            redeemed_col=self.redeemed_col,
            rules=spec.rules,
            date_format=self.date_format,
            dayfirst=self.dayfirst,
        )

    def _prepare(
        self, spec: _Spec, log: TransactionLog, as_of_day: int | None
    ) -> tuple[Daily, int]:
        return prepare_daily(
            log,
            qualifying=spec.qualifying,
            redeemed_col=self.redeemed_col,
            rules=spec.rules,
            as_of_day=as_of_day,
        )

    @staticmethod
    def _tier_state(spec: _Spec, daily: Daily, as_of: int) -> _State:
        index = daily.index
        n = daily.n_customers
        key = index.key
        first = int(index.day.min()) if index.day.size else as_of
        bounds = (
            None if spec.window.offset is None else boundaries(spec.window.offset, first, as_of)
        )
        schedule = boundaries(spec.review, first, as_of)
        reviews = schedule[(schedule > first) & (schedule <= as_of)]
        next_review = int(schedule[schedule > as_of][0])
        reviews_hint = reviews.size
        everyone_value: dict[int, np.ndarray] = {}
        day_order = index.by_day() if reviews_hint > 2 else None

        def value_through(end_day: int) -> np.ndarray:
            if end_day not in everyone_value:
                start = int(spec.window.start(np.array([end_day]), bounds)[0])
                everyone_value[end_day] = index.window_sum(daily.qual, start, end_day, day_order)
            return everyone_value[end_day]

        if bounds is None:  # rolling: running sum minus the running sum when the window began
            cumulative = segment_cumsum(daily.qual, index.customer)
            row_value = cumulative - index.through(
                cumulative, index.customer, spec.window.start(index.day, bounds) - 1, key
            )
        else:  # calendar: running sum within each (customer, calendar period)
            window_period = np.searchsorted(bounds, index.day, side="right")
            row_value = segment_cumsum(
                daily.qual, index.customer * (bounds.size + 1) + window_period
            )
        period = np.searchsorted(reviews, index.day, side="right")
        n_periods = reviews.size + 1
        pair_key = index.customer * n_periods + period
        run = np.flatnonzero(np.r_[True, pair_key[1:] != pair_key[:-1]]) if n else pair_key[:0]
        level = spec.tiers.level(row_value)
        scan = scan_tiers(
            n,
            reviews.size,
            index.customer[run],
            period[run],
            np.maximum.reduceat(level, run) if run.size else level[:0],
            np.maximum.reduceat(row_value, run) if run.size else row_value[:0],
            lambda k: value_through(int(reviews[k - 1]) - 1),
            spec.tiers,
            grace_periods=spec.grace_periods,
            soft_landing=spec.soft_landing,
        )
        current = value_through(as_of)
        return _State(daily, as_of, scan, current, reviews, next_review, bounds, key)

    # ------------------------------------------------------------------ public API
    def tiers_at(self, transactions: Any, as_of: DateLike | None = None) -> pd.DataFrame:
        """Tier, points and the reason for the tier of every customer on ``as_of``.

        Parameters
        ----------
        transactions : DataFrame
            One row per transaction (pandas, polars or Arrow): ``customer_col``, ``date_col``,
            ``value_col`` (negative for refunds), plus any column the rules read.
        as_of : date-like, optional
            Evaluation day, a cut-off: transactions at any time on that day count and reviews
            on that day have happened (a ``pd.Period`` means its last day). Defaults to the
            last transaction day. Later rows are ignored.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer id (customers with a transaction on or before ``as_of``):

            - ``qualifying_value``: value of the current window (ending on ``as_of``);
            - ``tier``: ordered categorical;
            - ``amount_to_keep_tier``: threshold of the tier held minus the qualifying value
              (0 when already met);
            - ``next_tier`` and ``amount_to_next_tier``: the next tier up and how much more
              qualifying value reaches it today (missing for the top tier);
            - ``points_balance``; ``points_expiring_next`` and ``points_expiry_date``: the
              points that expire on the next expiry date if none are used before (0 and NaT
              when none);
            - ``reason``: why the customer holds the tier ("qualified", "entry tier",
              "upgraded", "held", "grace", "soft landing" or "downgraded", with the numbers).

            ``attrs`` holds ``as_of``, ``window`` (first and last day of the current window)
            and ``next_review``.
        """
        spec = self._spec()
        log = self._read(spec, transactions)
        as_of_day = None if as_of is None else day_of(as_of, name="as_of", tz=log.tz)
        daily, as_of_day = self._prepare(spec, log, as_of_day)
        state = self._tier_state(spec, daily, as_of_day)
        tiers = spec.tiers
        scan = state.scan
        level = scan.tier.astype(np.int64)
        top = tiers.n - 1
        next_level = np.where(level < top, level + 1, -1)
        cut = tiers.thresholds
        to_next = np.where(
            level < top, np.maximum(cut[np.minimum(level + 1, top)] - state.current, 0.0), np.nan
        )
        to_keep = np.maximum(cut[level] - state.current, 0.0)
        rules = spec.rules
        expiry = None
        if rules.expiry_months is not None and daily.index.day.size:
            expiry = add_months(daily.index.day, rules.expiry_months)
        points = fifo_points(daily.index, state.key, daily.points, expiry, as_of_day)

        def window_start(end_day: int) -> int:
            return int(spec.window.start(np.array([end_day]), state.bounds)[0])

        label = spec.qualifying
        reasons = build_reasons(
            scan,
            state.current,
            tiers,
            label=label,
            reviews=state.reviews,
            window_start=window_start,
            as_of_day=as_of_day,
            next_review_day=state.next_review,
            grace_periods=spec.grace_periods,
        )
        expiry_date = np.where(
            points.expiry_day == NO_DAY, np.iinfo(np.int64).min, points.expiry_day
        )
        categories = pd.CategoricalDtype(list(tiers.names), ordered=True)
        result = pd.DataFrame(
            {
                "qualifying_value": np.round(state.current, 9),
                "tier": pd.Categorical.from_codes(level, dtype=categories),
                "amount_to_keep_tier": np.round(to_keep, 9),
                "next_tier": pd.Categorical.from_codes(next_level, dtype=categories),
                "amount_to_next_tier": np.round(to_next, 9),
                "points_balance": points.balance,
                "points_expiring_next": points.expiring_next,
                "points_expiry_date": days_to_datetime(expiry_date),
                "reason": reasons,
            },
            index=daily.ids,
        )
        result.attrs.update(
            as_of=pd.Timestamp(days_to_datetime(np.array([as_of_day]))[0]),
            window=tuple(
                pd.Timestamp(d)
                for d in days_to_datetime(np.array([window_start(as_of_day), as_of_day]))
            ),
            next_review=pd.Timestamp(days_to_datetime(np.array([state.next_review]))[0]),
        )
        return result

    def history(self, transactions: Any, as_of: Iterable[DateLike]) -> TierHistory:
        """Tier of every customer on each of the ``as_of`` days, and the migrations between them.

        Parameters
        ----------
        transactions : DataFrame
            As in :meth:`tiers_at`.
        as_of : list of date-like or DatetimeIndex
            Evaluation days, cut-offs as ``as_of`` in :meth:`tiers_at` (each whole day; a
            ``pd.Period`` means its last day), e.g. ``pd.date_range("2024-03-31", periods=4,
            freq="QE")`` or ``pd.period_range("2024Q1", periods=4, freq="Q")``. Sorted and
            de-duplicated by day.

        Returns
        -------
        TierHistory
            ``tiers`` (customer x date) and ``migrations`` (long table of counts between
            consecutive dates); ``matrix()`` gives one transition as a cross table.
        """
        spec = self._spec()
        if isinstance(as_of, (str, pd.Timestamp, pd.Period)) or not isinstance(as_of, Iterable):
            raise ParameterError(
                "as_of must be a list of dates, e.g. ['2024-06-30', ...]; for one day use "
                "tiers_at(transactions, as_of=...)."
            )
        dates = list(as_of)
        if not dates:
            raise ParameterError("as_of must name at least one date.")
        log = self._read(spec, transactions)
        days = sorted({day_of(d, name="as_of", tz=log.tz) for d in dates})
        daily, _ = self._prepare(spec, log, days[-1])
        categories = pd.CategoricalDtype(list(spec.tiers.names), ordered=True)
        stamps = [pd.Timestamp(d) for d in days_to_datetime(np.array(days))]
        columns = {}
        for day, stamp in zip(days, stamps, strict=True):
            part = daily.upto(day)
            level = self._tier_state(spec, part, day).scan.tier
            positions = daily.ids.get_indexer(part.ids)
            codes = np.full(daily.n_customers, -1, dtype=np.int64)
            codes[positions] = level
            columns[stamp] = pd.Categorical.from_codes(codes, dtype=categories)
        tiers = pd.DataFrame(columns, index=daily.ids)
        tiers.columns.name = "date"
        return TierHistory(tiers, tier_migrations(tiers, categories), spec.tiers.names)
