"""Rule-based lifecycle stages: prospect, new, repeat, loyal, at_risk, lapsed."""

from __future__ import annotations

import numbers
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator

from customer_models._validation import (
    as_pandas,
    check_choice,
    check_fitted,
    check_not_empty,
    check_rule,
    ensure_numeric,
    require_columns,
)
from customer_models.exceptions import (
    DataValidationError,
    ParameterError,
)
from customer_models.lifecycle._adaptive import (
    first_return_quantiles,
    repeat_silence_threshold,
    silence_probability,
)
from customer_models.lifecycle._units import days_per_unit

__all__ = ["STAGES", "STAGE_DTYPE", "LifecycleStageClassifier"]

#: The stages, in lifecycle order.
STAGES: tuple[str, ...] = ("prospect", "new", "repeat", "loyal", "at_risk", "lapsed")
#: Ordered categorical dtype of every stage Series this module returns.
STAGE_DTYPE = pd.CategoricalDtype(list(STAGES), ordered=True)

_PROSPECT, _NEW, _REPEAT, _LOYAL, _AT_RISK, _LAPSED = range(6)
_SUMMARY_COLUMNS = ("frequency", "recency", "T")

# Rule codes of ``explain``; the text depends on the mode.
(
    _R_PROSPECT,
    _R_NEW_WINDOW,
    _R_NEW_SINGLE,
    _R_LOYAL,
    _R_LOYAL_PROMOTER,
    _R_REPEAT,
    _R_AT_RISK,
    _R_LAPSED,
    _R_AT_RISK_NO_RHYTHM,
    _R_LAPSED_NO_RHYTHM,
) = range(10)
_STAGE_OF_RULE = np.array(
    [_PROSPECT, _NEW, _NEW, _LOYAL, _LOYAL, _REPEAT, _AT_RISK, _LAPSED, _AT_RISK, _LAPSED],
    dtype=np.int8,
)
_RULES_COMMON = (
    "no purchase yet",
    "first purchase within new_days",
    "single purchase, not yet at risk",
    "purchases >= loyal_min_purchases",
    "purchases >= loyal_min_purchases and promoter",
    "repeat buyer, active",
)
#: Rule texts by mode, indexed by rule code (codes 8 and 9 exist in adaptive mode only).
_RULE_TEXTS = {
    "absolute": (*_RULES_COMMON, "silence > at_risk threshold", "silence > lapsed threshold"),
    "probabilistic": (
        *_RULES_COMMON,
        "probability_alive < p_at_risk",
        "probability_alive < p_lapsed",
    ),
    "adaptive": (
        *_RULES_COMMON[:2],
        "one-time buyer within the repurchase window",
        *_RULES_COMMON[3:],
        "silence this long has probability < at_risk_false_alarm if active",
        "silence this long has probability < lapsed_false_alarm if active",
        "no rhythm of its own, silence > repurchase window",
        "no rhythm of its own, silence > lapsed window",
    ),
}
#: Parameters removed with the redesign of the adaptive thresholds, and what replaced them.
_REMOVED = {
    "at_risk_factor": "at_risk_false_alarm (the share of still-active customers flagged at "
    "risk, 0.05 by default)",
    "lapsed_factor": "lapsed_false_alarm (the share of still-active customers flagged lapsed, "
    "0.01 by default)",
    "one_time_quantile": "at_risk_false_alarm and lapsed_false_alarm: one-time buyers are at "
    "risk past the time within which 1 - at_risk_false_alarm of the returning customers came "
    "back",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _has_rhythm(prospect: np.ndarray, frequency: np.ndarray, recency: np.ndarray) -> np.ndarray:
    """Buyers with a rhythm of their own: a repeat purchase after the first period."""
    return ~prospect & (frequency >= 1) & (recency > 0)


def _as_count(values: np.ndarray) -> np.ndarray:
    """Return integer-valued floats as int64 (purchase counts), others unchanged."""
    if np.all(values == np.floor(values)) and np.all(values < 2**53):
        return values.astype(np.int64)
    return values


class LifecycleStageClassifier(BaseEstimator):
    """Assign every customer a lifecycle stage from their purchase history.

    Stages, in lifecycle order (the categories of the ordered categorical :meth:`predict`
    returns): ``prospect`` (known, no purchase yet), ``new``, ``repeat``, ``loyal``,
    ``at_risk`` and ``lapsed``. The rules, applied in this order of precedence:

    1. **prospect** -- no purchase: ``frequency`` is missing, ``n_transactions`` is 0, or the
       customer is only listed in ``customers=`` of :meth:`predict`.
    2. **new** -- first purchase within the last ``new_days`` days (every mode).
    3. **lapsed** -- silent for longer than the lapsed threshold (or P(alive) < ``p_lapsed``).
    4. **at_risk** -- silent for longer than the at-risk threshold (or P(alive) <
       ``p_at_risk``).
    5. **new** -- a one-time buyer who is not at risk: within the repurchase window
       (``"adaptive"``), or silent for at most ``at_risk_days`` (``"absolute"``).
    6. **loyal** -- at least ``loyal_min_purchases`` purchases (``frequency + 1`` purchase
       periods) and, when ``nps_col`` is given, a promoter score (>= ``promoter_min``).
    7. **repeat** -- every other active customer with a repeat purchase.

    *Silence* is the marketing "recency", the time since the last purchase: ``T - recency``
    (``recency`` is the BTYD first-to-last-purchase time). The thresholds depend on
    ``thresholds``:

    - ``"absolute"``: fixed numbers of days, ``at_risk_days`` and ``lapsed_days``.
    - ``"adaptive"``: set so that only a share ``at_risk_false_alarm`` (``lapsed_false_alarm``)
      of the customers who are still active is flagged at risk (lapsed), whatever the length of
      their history.

      *Repeat buyers* are judged by their own rhythm, with its estimation error accounted
      for. If a customer who is still active buys as a Poisson process at a constant (unknown)
      rate, then given ``x = frequency`` repeat purchases in the ``T`` periods since the first
      one the purchase times are ``x`` uniform times on ``(0, T]``, so a silence at least
      this long has probability exactly ``(recency / T) ** x``. The customer is at risk when
      that falls below ``at_risk_false_alarm``, i.e. when silent for more than
      ``recency * (at_risk_false_alarm ** (-1 / x) - 1)``: about 3 own gaps
      (``-log(0.05) = 3.0``) after many purchases, 19 times ``recency`` after one. The same
      with ``lapsed_false_alarm``. This is the Gamma posterior-predictive rule
      ``((b0 + recency) / (b0 + recency + s)) ** (a0 + x)`` with ``a0 = b0 = 0``: a prior
      learned from the population would shorten short histories' thresholds, but conditioned on
      ``(x, T)`` the silence does not depend on the rate at all, so any prior moves the
      false-alarm rate away from nominal (even the true one: see docs/lifecycle.md).

      *One-time buyers* (and repeat buyers with ``recency == 0``) have no rhythm of their
      own. They are judged by the *repurchase window* learned in :meth:`fit`: the time within
      which a share ``1 - at_risk_false_alarm`` of the returning customers made their second
      purchase. Within it a one-time buyer is still ``new`` (may yet come back), past it
      ``at_risk``, and ``lapsed`` past the ``1 - lapsed_false_alarm`` quantile. The summary
      does not hold the time of the second purchase; under the Poisson reading it is
      ``recency`` for ``frequency == 1`` and ``recency`` times the minimum of
      ``frequency - 1`` uniform draws otherwise, and the window is the quantile of the average
      of those distributions over the repeat buyers. Only returns seen in the data count:
      customers who will return after its end cannot, so the window is a lower bound when the
      data is short compared with the slowest returns. Without a repeat buyer in the fit data
      the windows are ``at_risk_days`` and ``lapsed_days``.
    - ``"probabilistic"``: from ``model.probability_alive(summary)`` of a fitted valuation
      model (any object with that method, e.g. :class:`~customer_models.BetaGeoModel`).

    Parameters
    ----------
    thresholds : {"absolute", "adaptive", "probabilistic"}, default "absolute"
        How at-risk and lapsed customers are found (see above).
    new_days : float, default 30
        Days after the first purchase during which a customer is ``new`` (all modes).
    at_risk_days, lapsed_days : float, default 90 and 180
        Silence, in days, after which a customer is at risk / lapsed (``"absolute"`` mode;
        also the one-time buyers' windows of ``"adaptive"`` when :meth:`fit` sees no repeat
        buyer).
    loyal_min_purchases : int, default 4
        Purchase periods (``frequency + 1``) needed to be ``loyal``.
    at_risk_false_alarm, lapsed_false_alarm : float, default 0.05 and 0.01
        ``"adaptive"``: nominal share of still-active repeat buyers flagged at risk (or
        lapsed) at any date, and share of returning customers who came back later than the
        one-time buyers' at-risk (lapsed) window. In ``(0, 1)``, lapsed <= at risk.
    model : object, optional
        ``"probabilistic"``: a fitted model with ``probability_alive(summary)``.
    p_at_risk, p_lapsed : float, default 0.5 and 0.2
        ``"probabilistic"``: at risk when P(alive) < ``p_at_risk``, lapsed when < ``p_lapsed``.
    nps_col : str, optional
        Column of a joined 0-10 likelihood-to-recommend score; if given, ``loyal`` also needs
        a score >= ``promoter_min`` (a missing score does not qualify).
    promoter_min : float, default 9
        Lowest promoter score.
    time_unit : str, optional
        Unit of ``recency`` and ``T`` (``"D"``, ``"W"``, ...). Defaults to the summary's
        ``attrs["time_unit"]``, else days.
    at_risk_factor, lapsed_factor, one_time_quantile : None
        Removed (the adaptive thresholds are no longer multiples of the customer's mean gap,
        which ignored how few purchases the gap is estimated from). Any value other than
        ``None`` raises :class:`~customer_models.exceptions.ParameterError` in :meth:`fit`
        naming the replacement.

    Attributes
    ----------
    time_unit_ : str
        Unit of the summary seen in :meth:`fit`.
    days_per_unit_ : float
        Days in one ``time_unit_``.
    new_threshold_ : float
        ``new_days`` in ``time_unit_``.
    at_risk_threshold_, lapsed_threshold_ : float
        ``"absolute"``: the day thresholds in ``time_unit_``. ``"adaptive"``: the one-time
        buyers' repurchase windows in ``time_unit_`` (at risk past the first, lapsed past the
        second). ``"probabilistic"``: ``p_at_risk`` and ``p_lapsed``.
    stages_ : tuple of str
        The stage labels, in lifecycle order.

    Notes
    -----
    The stages are rules, not a learned model, so this is a plain ``BaseEstimator`` with
    ``fit``/``predict`` (no ``ClassifierMixin``: there is no ``y`` and no accuracy score).
    ``fit`` only checks the parameters, records the time unit and, in ``"adaptive"`` mode,
    learns the two repurchase windows; it keeps no data. It works with ``clone`` and
    ``set_params``. Input is the customer summary of :func:`customer_models.rfm_summary` (a
    DataFrame with ``frequency``, ``recency``, ``T``); a plain 2-D array is read as those
    three columns in that order.

    The adaptive false-alarm rate is exact for customers who buy at a constant rate; real
    customers buy in bursts and slow down, so read it as the rate under that reference
    model (docs/lifecycle.md measures it by simulation).

    BG/NBD gives P(alive) = 1 to every customer without a repeat purchase, so in
    ``"probabilistic"`` mode with that model one-time buyers are never at risk; use a Pareto/NBD
    model, or the ``"adaptive"`` mode, when that matters.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> from customer_models.lifecycle import LifecycleStageClassifier
    >>> summary = load_cdnow_summary()  # weeks
    >>> clf = LifecycleStageClassifier().fit(summary)
    >>> clf.predict(summary).value_counts(sort=False)
    stage
    prospect       0
    new            0
    repeat       202
    loyal        209
    at_risk      309
    lapsed      1637
    Name: count, dtype: int64
    >>> adaptive = LifecycleStageClassifier("adaptive").fit(summary)
    >>> round(adaptive.at_risk_threshold_, 1), round(adaptive.lapsed_threshold_, 1)  # weeks
    (26.7, 33.7)
    >>> columns = ["stage", "silence", "silence_probability", "at_risk_threshold"]
    >>> adaptive.explain(summary).loc[[1, 2], columns].round(3)
                   stage  silence  silence_probability  at_risk_threshold
    customer_id
    1             repeat     8.43                0.613            105.657
    2            at_risk    37.15                0.044             32.490
    """

    def __init__(
        self,
        thresholds: Literal["absolute", "adaptive", "probabilistic"] = "absolute",
        *,
        new_days: float = 30.0,
        at_risk_days: float = 90.0,
        lapsed_days: float = 180.0,
        loyal_min_purchases: int = 4,
        at_risk_false_alarm: float = 0.05,
        lapsed_false_alarm: float = 0.01,
        model: Any = None,
        p_at_risk: float = 0.5,
        p_lapsed: float = 0.2,
        nps_col: str | None = None,
        promoter_min: float = 9.0,
        time_unit: str | None = None,
        at_risk_factor: None = None,
        lapsed_factor: None = None,
        one_time_quantile: None = None,
    ) -> None:
        self.thresholds = thresholds
        self.new_days = new_days
        self.at_risk_days = at_risk_days
        self.lapsed_days = lapsed_days
        self.loyal_min_purchases = loyal_min_purchases
        self.at_risk_false_alarm = at_risk_false_alarm
        self.lapsed_false_alarm = lapsed_false_alarm
        self.model = model
        self.p_at_risk = p_at_risk
        self.p_lapsed = p_lapsed
        self.nps_col = nps_col
        self.promoter_min = promoter_min
        self.time_unit = time_unit
        self.at_risk_factor = at_risk_factor
        self.lapsed_factor = lapsed_factor
        self.one_time_quantile = one_time_quantile

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        for name, replacement in _REMOVED.items():
            if getattr(self, name) is not None:
                raise ParameterError(
                    f"{name} was removed: the adaptive thresholds are no longer multiples of "
                    f"the customer's mean gap. Use {replacement}."
                )
        check_choice(self.thresholds, "thresholds", ["absolute", "adaptive", "probabilistic"])
        for name in ("new_days", "at_risk_days", "lapsed_days"):
            value = getattr(self, name)
            if not (_is_number(value) and np.isfinite(value) and value >= 0):
                raise ParameterError(f"{name} must be a finite number >= 0, got {value!r}.")
        if self.lapsed_days < self.at_risk_days:
            raise ParameterError(
                f"lapsed_days ({self.lapsed_days}) must be >= at_risk_days "
                f"({self.at_risk_days}): a customer is at risk before being lapsed."
            )
        lmp = self.loyal_min_purchases
        if not (isinstance(lmp, numbers.Integral) and not isinstance(lmp, bool) and lmp >= 2):
            raise ParameterError(
                f"loyal_min_purchases must be an integer >= 2 (purchase periods), got {lmp!r}."
            )
        for name in ("at_risk_false_alarm", "lapsed_false_alarm"):
            value = getattr(self, name)
            if not (_is_number(value) and 0.0 < value < 1.0):
                raise ParameterError(
                    f"{name} must be a probability strictly between 0 and 1 (the share of "
                    f"still-active customers flagged), got {value!r}."
                )
        if self.lapsed_false_alarm > self.at_risk_false_alarm:
            raise ParameterError(
                f"lapsed_false_alarm ({self.lapsed_false_alarm}) must be <= "
                f"at_risk_false_alarm ({self.at_risk_false_alarm}): lapsed is the rarer, "
                "stronger alarm."
            )
        for name in ("p_at_risk", "p_lapsed"):
            value = getattr(self, name)
            if not (_is_number(value) and 0.0 <= value <= 1.0):
                raise ParameterError(f"{name} must be a probability in [0, 1], got {value!r}.")
        if self.p_lapsed > self.p_at_risk:
            raise ParameterError(
                f"p_lapsed ({self.p_lapsed}) must be <= p_at_risk ({self.p_at_risk}): lapsed "
                "customers are less likely alive than at-risk ones."
            )
        if self.thresholds == "probabilistic" and not callable(
            getattr(self.model, "probability_alive", None)
        ):
            raise ParameterError(
                "thresholds='probabilistic' needs model= a fitted valuation model with a "
                "probability_alive(summary) method (e.g. BetaGeoModel().fit(summary)), got "
                f"{type(self.model).__name__}."
            )
        if not (_is_number(self.promoter_min) and 0 <= self.promoter_min <= 10):
            raise ParameterError(f"promoter_min must be in [0, 10], got {self.promoter_min!r}.")
        if self.nps_col is not None and not isinstance(self.nps_col, str):
            raise ParameterError(f"nps_col must be a column name or None, got {self.nps_col!r}.")

    # ------------------------------------------------------------------ input
    @staticmethod
    def _as_summary(X: Any) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X
        if sparse.issparse(X):
            raise ParameterError(
                "sparse input is not supported: X must be a customer summary DataFrame with "
                "columns frequency, recency and T (see customer_models.rfm_summary)."
            )
        if type(X).__module__.split(".")[0] == "polars" or hasattr(X, "to_pandas"):
            return as_pandas(X, what="summary")
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                "X must be a customer summary DataFrame with columns frequency, recency and T "
                f"(see customer_models.rfm_summary), got {type(X).__name__}."
            ) from exc
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise ParameterError(
                "X must be a customer summary DataFrame with columns frequency, recency and T, "
                f"or a 2-D array of exactly those three columns; got an array of shape "
                f"{arr.shape}."
            )
        return pd.DataFrame(arr, columns=list(_SUMMARY_COLUMNS))

    def _unit_of(self, df: pd.DataFrame) -> str:
        if self.time_unit is not None:
            return str(self.time_unit)
        return str(df.attrs.get("time_unit") or "D")

    def _purchase_columns(
        self, df: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Validate the summary; return (is_prospect, frequency, recency, T) arrays.

        Prospect rows carry zeros in the three numeric arrays.
        """
        require_columns(df, _SUMMARY_COLUMNS, what="summary")
        check_not_empty(df, what="summary")
        ids = df.index.to_numpy()
        freq_col = pd.to_numeric(df["frequency"], errors="coerce")
        check_rule(
            freq_col.isna().to_numpy() & df["frequency"].notna().to_numpy(),
            ids,
            rule="frequency must be numeric",
            column="frequency",
            what="summary",
        )
        prospect = freq_col.isna().to_numpy()
        if "n_transactions" in df.columns:
            n_tx = pd.to_numeric(df["n_transactions"], errors="coerce").fillna(0).to_numpy()
            check_rule(
                (n_tx == 0) & ~prospect & (freq_col.fillna(0).to_numpy() > 0),
                ids,
                rule="frequency must be 0 or missing when n_transactions is 0",
                column="frequency",
                what="summary",
            )
            prospect = prospect | (n_tx == 0)
        buyers = ~prospect
        sub = df.loc[buyers, list(_SUMMARY_COLUMNS)] if not buyers.all() else df
        sub_ids = ids[buyers]
        arrays = []
        for column in _SUMMARY_COLUMNS:
            values = ensure_numeric(sub[column], sub_ids, column=column, what="summary")
            check_rule(
                ~np.isfinite(values),
                sub_ids,
                rule=f"{column} must be finite",
                column=column,
                what="summary",
            )
            check_rule(
                values < 0, sub_ids, rule=f"{column} must be >= 0", column=column, what="summary"
            )
            full = np.zeros(len(df))
            full[buyers] = values
            arrays.append(full)
        frequency, recency, T = arrays
        tolerance = 1e-9 * np.maximum(1.0, T)
        check_rule(
            buyers & (recency > T + tolerance),
            ids,
            rule="recency must be <= T",
            column="recency",
            what="summary",
            hint="recency is the BTYD time from first to last purchase, T the time from "
            "first purchase to the end of observation (see rfm_summary).",
        )
        return prospect, frequency, recency, T

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> LifecycleStageClassifier:
        """Check the parameters, record the time unit and learn the adaptive thresholds.

        Parameters
        ----------
        X : DataFrame
            Customer summary with ``frequency``, ``recency`` and ``T``.
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        LifecycleStageClassifier
            The fitted classifier.
        """
        self._check_params()
        df = self._as_summary(X)
        unit = self._unit_of(df)
        per_unit = days_per_unit(unit)
        prospect, frequency, recency, _ = self._purchase_columns(df)
        self.time_unit_ = unit
        self.days_per_unit_ = per_unit
        self.new_threshold_ = float(self.new_days) / per_unit
        self.stages_ = STAGES
        if self.thresholds == "probabilistic":
            self.at_risk_threshold_ = float(self.p_at_risk)
            self.lapsed_threshold_ = float(self.p_lapsed)
            return self
        self.at_risk_threshold_ = float(self.at_risk_days) / per_unit
        self.lapsed_threshold_ = float(self.lapsed_days) / per_unit
        if self.thresholds == "adaptive":
            rhythm = _has_rhythm(prospect, frequency, recency)
            if rhythm.any():
                levels = np.array([1.0 - self.at_risk_false_alarm, 1.0 - self.lapsed_false_alarm])
                windows = first_return_quantiles(frequency[rhythm], recency[rhythm], levels)
                self.at_risk_threshold_, self.lapsed_threshold_ = map(float, windows)
        return self

    # ------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        check_fitted(self, "stages_", how="call fit(summary) first")

    def _rules(self, X: Any, customers: Any) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """Return (summary with prospects appended, dict of per-customer rule arrays)."""
        self._check_fitted()
        df = self._as_summary(X)
        unit = self._unit_of(df)
        if unit != self.time_unit_:
            raise ParameterError(
                f"the summary's time unit is {unit!r} but the classifier was fitted on "
                f"{self.time_unit_!r} summaries; build both with the same time_unit."
            )
        check_rule(
            df.index.duplicated(),
            df.index.to_numpy(),
            rule="customer ids (the summary's index) must be unique",
            what="summary",
        )
        original = df
        if customers is not None:
            extra = pd.Index(customers).unique().difference(df.index, sort=False)
            if len(extra):
                wanted = [*_SUMMARY_COLUMNS, "n_transactions", self.nps_col]
                columns = [c for c in wanted if c is not None and c in df.columns]
                df = df[columns].reindex(df.index.append(extra))
        prospect, frequency, recency, T = self._purchase_columns(df)
        buyers = ~prospect
        silence = T - recency
        n = len(df)
        out: dict[str, np.ndarray] = {
            "n_purchases": _as_count(np.where(buyers, frequency + 1.0, 0.0)),
            "tenure": np.where(buyers, T, np.nan),
            "silence": np.where(buyers, silence, np.nan),
        }

        own = np.zeros(n, dtype=bool)  # adaptive mode: buyers judged by their own rhythm
        if self.thresholds == "probabilistic":
            p_alive = np.full(n, np.nan)
            if buyers.any():
                rows = np.flatnonzero(buyers)  # appended prospects are never buyers
                p_alive[buyers] = self._probability_alive(original.iloc[rows])
            score, at_risk_thr, lapsed_thr = p_alive, self.p_at_risk, self.p_lapsed
            at_risk = buyers & (score < at_risk_thr)
            lapsed = buyers & (score < lapsed_thr)
            out["probability_alive"] = p_alive
            out["at_risk_threshold"] = np.where(buyers, float(at_risk_thr), np.nan)
            out["lapsed_threshold"] = np.where(buyers, float(lapsed_thr), np.nan)
        else:
            at_thr = np.full(n, self.at_risk_threshold_)
            lap_thr = np.full(n, self.lapsed_threshold_)
            if self.thresholds == "adaptive":
                own = _has_rhythm(prospect, frequency, recency)
                f, r = frequency[own], recency[own]
                at_thr[own] = repeat_silence_threshold(f, r, self.at_risk_false_alarm)
                lap_thr[own] = repeat_silence_threshold(f, r, self.lapsed_false_alarm)
                out["own_gap"] = np.where(own, recency / np.where(own, frequency, 1.0), np.nan)
                probability = np.full(n, np.nan)
                probability[own] = silence_probability(f, r, T[own])
                out["silence_probability"] = probability
            at_risk = buyers & (silence > at_thr)
            lapsed = buyers & (silence > lap_thr)
            out["at_risk_threshold"] = np.where(buyers, at_thr, np.nan)
            out["lapsed_threshold"] = np.where(buyers, lap_thr, np.nan)
        # adaptive mode: buyers without a rhythm are flagged by the repurchase windows
        no_rhythm = buyers & ~own & (self.thresholds == "adaptive")
        loyal = buyers & (frequency + 1 >= self.loyal_min_purchases)
        if self.nps_col is not None:
            require_columns(df, [self.nps_col], what="summary")
            nps = pd.to_numeric(df[self.nps_col], errors="coerce")
            ids = df.index.to_numpy()
            check_rule(
                nps.isna().to_numpy() & df[self.nps_col].notna().to_numpy(),
                ids,
                rule=f"{self.nps_col} must be numeric",
                column=self.nps_col,
                what="summary",
            )
            scores = nps.to_numpy(dtype=np.float64)
            check_rule(
                (scores < 0) | (scores > 10),
                ids,
                rule=f"{self.nps_col} must be a 0-10 score",
                column=self.nps_col,
                what="summary",
            )
            promoter = scores >= self.promoter_min  # NaN (no answer) -> False
            loyal_rule = np.where(promoter, _R_LOYAL_PROMOTER, _R_REPEAT)
            out["nps"] = scores
        else:
            loyal_rule = np.full(n, _R_LOYAL)
        new_window = self.new_threshold_ >= T  # tenure within new_days
        single = frequency == 0
        rule = np.select(
            [
                prospect,
                buyers & new_window,
                lapsed & no_rhythm,
                lapsed,
                at_risk & no_rhythm,
                at_risk,
                buyers & single,
                loyal,
            ],
            [
                _R_PROSPECT,
                _R_NEW_WINDOW,
                _R_LAPSED_NO_RHYTHM,
                _R_LAPSED,
                _R_AT_RISK_NO_RHYTHM,
                _R_AT_RISK,
                _R_NEW_SINGLE,
                loyal_rule,
            ],
            default=_R_REPEAT,
        ).astype(np.int8)
        out["rule"] = rule
        return df, out

    def _probability_alive(self, buyers: pd.DataFrame) -> np.ndarray:
        result = self.model.probability_alive(buyers)
        if isinstance(result, pd.Series) and result.index.equals(buyers.index):
            values = result.to_numpy(dtype=np.float64)
        elif isinstance(result, pd.Series):
            values = result.reindex(buyers.index).to_numpy(dtype=np.float64)
        else:
            values = np.asarray(result, dtype=np.float64).reshape(-1)
        if values.shape != (len(buyers),):
            raise ParameterError(
                f"model.probability_alive returned {values.size} values for {len(buyers)} "
                "customers; it must return one probability per summary row."
            )
        bad = ~np.isfinite(values) | (values < 0) | (values > 1)
        if bad.any():
            raise DataValidationError(
                f"model.probability_alive returned {int(bad.sum())} values that are not "
                f"probabilities in [0, 1] (first customers: "
                f"{list(buyers.index[bad][:5])}); check the model's fit and time unit.",
                column="probability_alive",
                rule="probability_alive must be in [0, 1]",
                n_rows=int(bad.sum()),
                examples=list(buyers.index[bad][:5]),
            )
        return values

    def predict(self, X: Any, customers: Any = None) -> pd.Series:
        """Return the lifecycle stage of every customer.

        Parameters
        ----------
        X : DataFrame
            Customer summary with ``frequency``, ``recency`` and ``T`` (and ``nps_col`` if
            set). Rows with missing ``frequency`` (or ``n_transactions == 0``) are prospects.
        customers : array-like, optional
            Ids of every known customer; those absent from ``X`` are appended as prospects.

        Returns
        -------
        pandas.Series
            Named ``"stage"``, on ``X``'s index (then the extra ``customers``), with the
            ordered categorical dtype :data:`STAGE_DTYPE`.
        """
        df, rules = self._rules(X, customers)
        codes = _STAGE_OF_RULE[rules["rule"]]
        return pd.Series(
            pd.Categorical.from_codes(codes, dtype=STAGE_DTYPE), index=df.index, name="stage"
        )

    def explain(self, X: Any, customers: Any = None) -> pd.DataFrame:
        """Return the stage, the rule that fired and the numbers behind it, per customer.

        Parameters
        ----------
        X, customers
            As in :meth:`predict`.

        Returns
        -------
        pandas.DataFrame
            On the same index as :meth:`predict`, columns ``stage``, ``rule`` (categorical
            text of the rule that fired), ``n_purchases`` (``frequency + 1``), ``tenure``
            (``T``), ``silence`` (``T - recency``), ``at_risk_threshold`` and
            ``lapsed_threshold`` (silence thresholds in the summary's unit; probabilities in
            ``"probabilistic"`` mode), plus, in ``"adaptive"`` mode, ``own_gap``
            (``recency / frequency``, the mean time between purchases) and
            ``silence_probability`` (``(recency / T) ** frequency``, the probability that a
            still-active customer is silent this long; at risk below
            ``at_risk_false_alarm``), ``probability_alive`` (``"probabilistic"``) and ``nps``
            (with ``nps_col``). Numbers that do not apply (a prospect's silence, a one-time
            buyer's gap) are missing; one-time buyers' thresholds are the repurchase
            windows.
        """
        df, rules = self._rules(X, customers)
        texts = _RULE_TEXTS[self.thresholds]
        codes = _STAGE_OF_RULE[rules["rule"]]
        frame: dict[str, Any] = {
            "stage": pd.Categorical.from_codes(codes, dtype=STAGE_DTYPE),
            "rule": pd.Categorical.from_codes(
                rules["rule"], dtype=pd.CategoricalDtype(list(texts))
            ),
        }
        for name in (
            "n_purchases",
            "tenure",
            "silence",
            "own_gap",
            "silence_probability",
            "probability_alive",
            "at_risk_threshold",
            "lapsed_threshold",
            "nps",
        ):
            if name in rules:
                frame[name] = rules[name]
        out = pd.DataFrame(frame, index=df.index)
        out.attrs["time_unit"] = self.time_unit_
        return out
