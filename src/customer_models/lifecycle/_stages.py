"""Rule-based lifecycle stages: prospect, new, repeat, loyal, at_risk, lapsed.

The estimator: parameters, ``fit``, and the three views of the stages (``predict`` codes,
``assign`` labels, ``explain`` reasons). The rules live in ``_codes`` (precedence),
``_evidence`` (the numbers behind them), ``_input`` (reading the summary) and ``_params``.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from customer_models._validation import check_fitted, check_rule
from customer_models.exceptions import ParameterError
from customer_models.lifecycle._adaptive import first_return_quantiles
from customer_models.lifecycle._codes import (
    RULE_TEXTS,
    STAGE_DTYPE,
    STAGES,
    rule_codes,
    stage_codes,
)
from customer_models.lifecycle._evidence import probabilistic_flags, promoter_rule, silence_flags
from customer_models.lifecycle._input import (
    SUMMARY_COLUMNS,
    as_count,
    as_summary,
    has_rhythm,
    purchase_columns,
    unit_of,
)
from customer_models.lifecycle._params import check_params
from customer_models.lifecycle._units import days_per_unit
from customer_models.typing import SupportsProbabilityAlive

__all__ = ["STAGES", "STAGE_DTYPE", "LifecycleStageClassifier"]

_EXPLAINED = (
    "n_purchases",
    "tenure",
    "silence",
    "own_gap",
    "silence_probability",
    "probability_alive",
    "at_risk_threshold",
    "lapsed_threshold",
    "nps",
)


@dataclass(eq=False, repr=False)
class LifecycleStageClassifier(BaseEstimator):
    """Assign every customer a lifecycle stage from their purchase history.

    Stages, in lifecycle order (the categories of the ordered categorical :meth:`assign`
    returns; :meth:`predict` returns their positions in ``stages_``): ``prospect`` (known, no
    purchase yet), ``new``, ``repeat``, ``loyal``, ``at_risk`` and ``lapsed``. The rules,
    applied in this order of precedence:

    1. **prospect** -- no purchase: ``frequency`` is missing, ``n_transactions`` is 0, or the
       customer is only listed in ``customers=`` of :meth:`assign`.
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
    ``method``:

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
    method : {"absolute", "adaptive", "probabilistic"}, default "absolute"
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
    n_features_in_ : int
        3: the summary columns read (``frequency``, ``recency``, ``T``).

    Notes
    -----
    The stages are rules, not a learned model, so this is a plain ``BaseEstimator`` with
    ``fit``/``predict`` (no ``ClassifierMixin``: there is no ``y`` and no accuracy score).
    As everywhere in the library, ``predict`` returns a numpy array (stage codes) and
    ``assign`` a named Series on the customer index. ``fit`` only checks the parameters,
    records the time unit and, in ``"adaptive"`` mode, learns the two repurchase windows; it
    keeps no data. It works with ``clone``, ``set_params``, pickling and as the last step of
    a ``Pipeline``. Input is the customer summary of :func:`customer_models.rfm_summary` (a
    DataFrame with ``frequency``, ``recency``, ``T``); a plain 2-D array is read as those
    three columns in that order, and must be finite (a plain array cannot mark prospects).

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
    >>> clf.predict(summary)[:4]  # positions in clf.stages_
    array([2, 5, 5, 5])
    >>> clf.assign(summary).value_counts(sort=False)
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

    # The dataclass __init__ only stores the parameters (fit checks them with check_params), as
    # scikit-learn's get_params/clone expect; repr and equality stay BaseEstimator's.
    method: Literal["absolute", "adaptive", "probabilistic"] = "absolute"
    _: KW_ONLY
    new_days: float = 30.0
    at_risk_days: float = 90.0
    lapsed_days: float = 180.0
    loyal_min_purchases: int = 4
    at_risk_false_alarm: float = 0.05
    lapsed_false_alarm: float = 0.01
    model: SupportsProbabilityAlive | None = None
    p_at_risk: float = 0.5
    p_lapsed: float = 0.2
    nps_col: str | None = None
    promoter_min: float = 9.0
    time_unit: str | None = None
    at_risk_factor: None = None
    lapsed_factor: None = None
    one_time_quantile: None = None

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # frequency, recency and T are counts and durations; NaN marks a prospect only in a
        # summary DataFrame, so a plain array must be finite.
        tags.input_tags.positive_only = True
        return tags

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> LifecycleStageClassifier:
        """Check the parameters, record the time unit and learn the adaptive thresholds.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, 3)
            Customer summary with ``frequency``, ``recency`` and ``T``.
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        LifecycleStageClassifier
            The fitted classifier.
        """
        check_params(self)
        df = as_summary(X, type(self).__name__)
        unit = unit_of(df, self.time_unit)
        per_unit = days_per_unit(unit)
        prospect, frequency, recency, _ = purchase_columns(df)
        self.time_unit_ = unit
        self.days_per_unit_ = per_unit
        self.new_threshold_ = float(self.new_days) / per_unit
        self.n_features_in_ = len(SUMMARY_COLUMNS)
        self.stages_ = STAGES
        if self.method == "probabilistic":
            self.at_risk_threshold_ = float(self.p_at_risk)
            self.lapsed_threshold_ = float(self.p_lapsed)
            return self
        self.at_risk_threshold_ = float(self.at_risk_days) / per_unit
        self.lapsed_threshold_ = float(self.lapsed_days) / per_unit
        rhythm = has_rhythm(prospect, frequency, recency)
        if self.method == "adaptive" and rhythm.any():
            levels = np.array([1.0 - self.at_risk_false_alarm, 1.0 - self.lapsed_false_alarm])
            windows = first_return_quantiles(frequency[rhythm], recency[rhythm], levels)
            self.at_risk_threshold_, self.lapsed_threshold_ = map(float, windows)
        return self

    # ------------------------------------------------------------------ rules
    def _summary(self, X: Any, customers: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return (the summary as given, the summary with prospects appended)."""
        check_fitted(self, "stages_", how="call fit(summary) first")
        df = as_summary(X, type(self).__name__)
        unit = unit_of(df, self.time_unit)
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
        if customers is None:
            return df, df
        extra = pd.Index(customers).unique().difference(df.index, sort=False)
        if not len(extra):
            return df, df
        wanted = [*SUMMARY_COLUMNS, "n_transactions", self.nps_col]
        columns = [c for c in wanted if c is not None and c in df.columns]
        return df, df[columns].reindex(df.index.append(extra))

    def _rules(self, X: Any, customers: Any) -> tuple[pd.Index, dict[str, np.ndarray]]:
        """Return (customer index, per-customer rule code and the numbers behind it)."""
        original, df = self._summary(X, customers)
        prospect, frequency, recency, T = purchase_columns(df)
        buyers = ~prospect
        if self.method == "probabilistic":
            flags = probabilistic_flags(self.model, original, buyers, self.p_at_risk, self.p_lapsed)
        else:
            flags = silence_flags(
                adaptive=self.method == "adaptive",
                prospect=prospect,
                frequency=frequency,
                recency=recency,
                T=T,
                window=(self.at_risk_threshold_, self.lapsed_threshold_),
                false_alarm=(self.at_risk_false_alarm, self.lapsed_false_alarm),
            )
        at_risk, lapsed, own, columns = flags
        loyal_rule, nps = promoter_rule(df, self.nps_col, self.promoter_min)
        rules = rule_codes(
            prospect=prospect,
            new_window=self.new_threshold_ >= T,  # tenure within new_days
            single=frequency == 0,
            at_risk=at_risk,
            lapsed=lapsed,
            # adaptive mode: buyers without a rhythm are flagged by the repurchase windows
            no_rhythm=buyers & ~own & (self.method == "adaptive"),
            loyal=buyers & (frequency + 1 >= self.loyal_min_purchases),
            loyal_rule=loyal_rule,
        )
        out = {
            "rule": rules,
            "n_purchases": as_count(np.where(buyers, frequency + 1.0, 0.0)),
            "tenure": np.where(buyers, T, np.nan),
            "silence": np.where(buyers, T - recency, np.nan),
            **columns,
            **nps,
        }
        return df.index, out

    # ------------------------------------------------------------------ stages
    def predict(self, X: Any) -> np.ndarray:
        """Return the stage code of every customer: its position in ``stages_``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, 3)
            Customer summary with ``frequency``, ``recency`` and ``T`` (and ``nps_col`` if
            set). Rows with missing ``frequency`` (or ``n_transactions == 0``) are prospects.

        Returns
        -------
        ndarray of int64
            One code per row of ``X``, in order; ``stages_[code]`` is the stage. Use
            :meth:`assign` for the labels on the customer index.
        """
        _, rules = self._rules(X, None)
        return stage_codes(rules["rule"])

    def assign(self, X: Any, customers: Any = None) -> pd.Series:
        """Return the lifecycle stage of every customer as a named Series.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, 3)
            As in :meth:`predict`.
        customers : array-like, optional
            Ids of every known customer; those absent from ``X`` are appended as prospects.

        Returns
        -------
        pandas.Series
            Named ``"stage"``, on ``X``'s index (then the extra ``customers``; a
            ``RangeIndex`` for an array), with the ordered categorical dtype
            :data:`STAGE_DTYPE`.
        """
        index, rules = self._rules(X, customers)
        codes = stage_codes(rules["rule"])
        return pd.Series(
            pd.Categorical.from_codes(codes, dtype=STAGE_DTYPE), index=index, name="stage"
        )

    def explain(self, X: Any, customers: Any = None) -> pd.DataFrame:
        """Return the stage, the rule that fired and the numbers behind it, per customer.

        Parameters
        ----------
        X, customers
            As in :meth:`assign`.

        Returns
        -------
        pandas.DataFrame
            On the same index as :meth:`assign`, columns ``stage``, ``rule`` (categorical
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
        index, rules = self._rules(X, customers)
        texts = RULE_TEXTS[self.method]
        frame: dict[str, Any] = {
            "stage": pd.Categorical.from_codes(stage_codes(rules["rule"]), dtype=STAGE_DTYPE),
            "rule": pd.Categorical.from_codes(
                rules["rule"], dtype=pd.CategoricalDtype(list(texts))
            ),
        }
        frame.update({name: rules[name] for name in _EXPLAINED if name in rules})
        out = pd.DataFrame(frame, index=index)
        out.attrs["time_unit"] = self.time_unit_
        return out
