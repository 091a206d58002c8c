"""Immutable result objects shared by :func:`nps`, :func:`csat`, :func:`ces` and :func:`nps_test`.

Every one-sample result carries the same core fields (``score``, ``se``, ``lower``, ``upper``,
``n``, ``effective_n``, ``n_dropped``, ``method``, ``confidence``) plus the counts that belong to
its metric, so results of different metrics line up in one table via :meth:`to_series`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

# The result classes the package re-exports; sample_fields is for the metric modules only.
__all__ = ["CESResult", "CSATResult", "FeedbackResult", "NPSResult", "NPSTestResult"]


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def sample_fields(
    x: np.ndarray, effective_n: float, n_dropped: int, *, method: str, confidence: float
) -> dict[str, Any]:
    """Return the sample fields of a :class:`FeedbackResult`: what every metric fills alike.

    ``x`` is the answers left by ``clean_scores``, ``effective_n`` their (Kish) sample size and
    ``n_dropped`` the missing answers it dropped; the metric adds its own estimate, interval
    and counts.
    """
    return {
        "n": int(x.size),
        "effective_n": effective_n,
        "n_dropped": n_dropped,
        "method": method,
        "confidence": confidence,
    }


@dataclass(frozen=True, kw_only=True, repr=False)
class FeedbackResult:
    """Fields shared by every one-sample feedback metric.

    Attributes
    ----------
    score : float
        The point estimate (NPS on −100..100, CSAT in percent, CES on its scale).
    se : float
        Standard error of ``score`` (same units) used to build the interval; see the
        metric's Notes for the exact formula.
    lower, upper : float
        The confidence interval, clipped to the metric's range.
    n : int
        Number of answers used.
    effective_n : float
        Kish effective sample size ``(Σw)² / Σw²`` with weights; equal to ``n`` without.
    n_dropped : int
        Missing answers dropped because ``dropna=True`` (0 otherwise).
    method : str
        How the interval was computed.
    confidence : float
        Confidence level of the interval.
    """

    metric: ClassVar[str] = "feedback"
    _extra: ClassVar[tuple[str, ...]] = ()

    score: float
    se: float
    lower: float
    upper: float
    n: int
    effective_n: float
    n_dropped: int = 0
    method: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (with ``metric`` first)."""
        return {"metric": self.metric, **dataclasses.asdict(self)}

    def to_series(self) -> pd.Series:
        """Return the fields as a :class:`pandas.Series` named after the metric."""
        return pd.Series(self.to_dict(), name=self.metric, dtype=object)

    def __repr__(self) -> str:
        level = f"{self.confidence:.0%}"
        extra = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._extra)
        dropped = f", n_dropped={self.n_dropped}" if self.n_dropped else ""
        return (
            f"{type(self).__name__}(score={_fmt(self.score)}, "
            f"ci=[{_fmt(self.lower)}, {_fmt(self.upper)}] ({level}, {self.method}), "
            f"n={self.n}{dropped}" + (f", {extra}" if extra else "") + ")"
        )


@dataclass(frozen=True, kw_only=True, repr=False)
class NPSResult(FeedbackResult):
    """Net Promoter Score of one sample (see :func:`nps`).

    Attributes
    ----------
    promoters, passives, detractors : int
        Numbers of answers 9-10, 7-8 and 0-6.
    promoter_share, passive_share, detractor_share : float
        Their shares in [0, 1] (weighted when weights were given); ``score`` is
        ``100 * (promoter_share - detractor_share)``.
    """

    metric: ClassVar[str] = "nps"
    _extra: ClassVar[tuple[str, ...]] = ("promoters", "passives", "detractors")

    promoters: int
    passives: int
    detractors: int
    promoter_share: float
    passive_share: float
    detractor_share: float


@dataclass(frozen=True, kw_only=True, repr=False)
class CSATResult(FeedbackResult):
    """Customer satisfaction (percent satisfied) of one sample (see :func:`csat`).

    Attributes
    ----------
    satisfied : int
        Number of answers in the satisfied range.
    satisfied_share : float
        Their share in [0, 1] (weighted when weights were given).
    """

    metric: ClassVar[str] = "csat"
    _extra: ClassVar[tuple[str, ...]] = ("satisfied",)

    satisfied: int
    satisfied_share: float


@dataclass(frozen=True, kw_only=True, repr=False)
class CESResult(FeedbackResult):
    """Customer effort score (mean answer) of one sample (see :func:`ces`).

    Attributes
    ----------
    std : float
        Sample standard deviation of the answers (weighted when weights were given).
    """

    metric: ClassVar[str] = "ces"

    std: float


@dataclass(frozen=True, kw_only=True, repr=False)
class NPSTestResult:
    """Comparison of the NPS of two independent samples (see :func:`nps_test`).

    Attributes
    ----------
    score_a, score_b : float
        The two Net Promoter Scores (−100..100).
    n_a, n_b : int
        Their numbers of answers.
    difference : float
        ``score_a - score_b`` (NPS points).
    se : float
        Standard error of the difference used for the interval and the test.
    lower, upper : float
        Confidence interval of the difference, clipped to [−200, 200].
    z : float
        The z statistic.
    p_value : float
        Two-sided p-value of H0: equal true NPS.
    method, confidence
        As in :func:`nps`.
    """

    metric: ClassVar[str] = "nps_test"

    score_a: float
    score_b: float
    n_a: int
    n_b: int
    difference: float
    se: float
    lower: float
    upper: float
    z: float
    p_value: float
    method: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return dataclasses.asdict(self)

    def to_series(self) -> pd.Series:
        """Return the fields as a :class:`pandas.Series`."""
        return pd.Series(self.to_dict(), name=self.metric, dtype=object)

    def __repr__(self) -> str:
        level = f"{self.confidence:.0%}"
        return (
            f"NPSTestResult(difference={_fmt(self.difference)}, "
            f"ci=[{_fmt(self.lower)}, {_fmt(self.upper)}] ({level}, {self.method}), "
            f"z={self.z:.3f}, p_value={self.p_value:.4g}, "
            f"score_a={_fmt(self.score_a)}, score_b={_fmt(self.score_b)}, "
            f"n_a={self.n_a}, n_b={self.n_b})"
        )
