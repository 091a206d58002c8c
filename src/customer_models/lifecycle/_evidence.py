"""The numbers behind the stages: who is at risk or lapsed in each mode, and who is a promoter.

Each function returns boolean flags per customer plus the columns ``explain`` shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import check_rule, require_columns
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.lifecycle._adaptive import repeat_silence_threshold, silence_probability
from customer_models.lifecycle._codes import R_LOYAL, R_LOYAL_PROMOTER, R_REPEAT
from customer_models.lifecycle._input import has_rhythm

__all__ = ["Flags", "probabilistic_flags", "promoter_rule", "silence_flags"]

#: (at_risk, lapsed, judged by own rhythm, columns for explain)
Flags = tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]


def _probability_alive(model: Any, buyers: pd.DataFrame) -> np.ndarray:
    """``model.probability_alive`` of the buyers' rows, checked to be one probability each."""
    result = model.probability_alive(buyers)
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


def probabilistic_flags(
    model: Any, original: pd.DataFrame, buyers: np.ndarray, p_at_risk: float, p_lapsed: float
) -> Flags:
    """At risk when P(alive) < ``p_at_risk``, lapsed when < ``p_lapsed``.

    ``original`` is the summary as given (``buyers`` may be longer: appended prospects, who
    are never buyers, come last).
    """
    n = len(buyers)
    p_alive = np.full(n, np.nan)
    if buyers.any():
        rows = np.flatnonzero(buyers)
        p_alive[buyers] = _probability_alive(model, original.iloc[rows])
    columns = {
        "probability_alive": p_alive,
        "at_risk_threshold": np.where(buyers, float(p_at_risk), np.nan),
        "lapsed_threshold": np.where(buyers, float(p_lapsed), np.nan),
    }
    at_risk = buyers & (p_alive < p_at_risk)
    lapsed = buyers & (p_alive < p_lapsed)
    return at_risk, lapsed, np.zeros(n, dtype=bool), columns


def silence_flags(
    *,
    adaptive: bool,
    prospect: np.ndarray,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    window: tuple[float, float],
    false_alarm: tuple[float, float],
) -> Flags:
    """At risk / lapsed when the silence ``T - recency`` exceeds a threshold.

    The thresholds are ``window`` (at risk, lapsed), except in adaptive mode for buyers with
    a rhythm of their own, judged by the ``false_alarm`` rates instead (see ``_adaptive``).
    """
    buyers = ~prospect
    silence = T - recency
    n = len(prospect)
    at_thr = np.full(n, window[0])
    lap_thr = np.full(n, window[1])
    own = np.zeros(n, dtype=bool)
    columns: dict[str, np.ndarray] = {}
    if adaptive:
        own = has_rhythm(prospect, frequency, recency)
        f, r = frequency[own], recency[own]
        at_thr[own] = repeat_silence_threshold(f, r, false_alarm[0])
        lap_thr[own] = repeat_silence_threshold(f, r, false_alarm[1])
        columns["own_gap"] = np.where(own, recency / np.where(own, frequency, 1.0), np.nan)
        probability = np.full(n, np.nan)
        probability[own] = silence_probability(f, r, T[own])
        columns["silence_probability"] = probability
    columns["at_risk_threshold"] = np.where(buyers, at_thr, np.nan)
    columns["lapsed_threshold"] = np.where(buyers, lap_thr, np.nan)
    return buyers & (silence > at_thr), buyers & (silence > lap_thr), own, columns


def promoter_rule(
    df: pd.DataFrame, nps_col: str | None, promoter_min: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Return the rule code of a loyal customer (loyal, or repeat for a non-promoter).

    Without ``nps_col`` every loyal customer is loyal; with it, a score >= ``promoter_min``
    is needed (a missing answer does not qualify). Also returns the scores for ``explain``.
    """
    if nps_col is None:
        return np.full(len(df), R_LOYAL), {}
    require_columns(df, [nps_col], what="summary")
    nps = pd.to_numeric(df[nps_col], errors="coerce")
    ids = df.index.to_numpy()
    check_rule(
        nps.isna().to_numpy() & df[nps_col].notna().to_numpy(),
        ids,
        rule=f"{nps_col} must be numeric",
        column=nps_col,
        what="summary",
    )
    scores = nps.to_numpy(dtype=np.float64)
    check_rule(
        (scores < 0) | (scores > 10),
        ids,
        rule=f"{nps_col} must be a 0-10 score",
        column=nps_col,
        what="summary",
    )
    promoter = scores >= promoter_min  # NaN (no answer) -> False
    return np.where(promoter, R_LOYAL_PROMOTER, R_REPEAT), {"nps": scores}
