"""The stages, the rules that assign them, and their precedence.

Plain numpy on boolean arrays: which rule fires for each customer, and the stage of each rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["RULE_TEXTS", "STAGES", "STAGE_DTYPE", "rule_codes", "stage_codes"]

#: The stages, in lifecycle order.
STAGES: tuple[str, ...] = ("prospect", "new", "repeat", "loyal", "at_risk", "lapsed")
#: Ordered categorical dtype of every stage Series the lifecycle module returns.
STAGE_DTYPE = pd.CategoricalDtype(list(STAGES), ordered=True)

_PROSPECT, _NEW, _REPEAT, _LOYAL, _AT_RISK, _LAPSED = range(6)

# Rule codes of ``explain``; the text depends on the mode.
(
    R_PROSPECT,
    R_NEW_WINDOW,
    R_NEW_SINGLE,
    R_LOYAL,
    R_LOYAL_PROMOTER,
    R_REPEAT,
    R_AT_RISK,
    R_LAPSED,
    R_AT_RISK_NO_RHYTHM,
    R_LAPSED_NO_RHYTHM,
) = range(10)
_STAGE_OF_RULE = np.array(
    [_PROSPECT, _NEW, _NEW, _LOYAL, _LOYAL, _REPEAT, _AT_RISK, _LAPSED, _AT_RISK, _LAPSED],
    dtype=np.int64,
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
RULE_TEXTS = {
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


def rule_codes(
    *,
    prospect: np.ndarray,
    new_window: np.ndarray,
    single: np.ndarray,
    at_risk: np.ndarray,
    lapsed: np.ndarray,
    no_rhythm: np.ndarray,
    loyal: np.ndarray,
    loyal_rule: np.ndarray,
) -> np.ndarray:
    """Return the code of the first rule that fires, per customer (int8).

    The order is the precedence of the class docstring: prospect, new (window), lapsed,
    at risk, new (single purchase), loyal, repeat. ``loyal_rule`` is the code a loyal
    customer gets (``R_LOYAL``, or ``R_REPEAT`` for a non-promoter when NPS is required).

    Examples
    --------
    >>> no, yes = np.array([False]), np.array([True])
    >>> int(rule_codes(prospect=no, new_window=no, single=no, at_risk=yes, lapsed=no,
    ...                no_rhythm=no, loyal=yes, loyal_rule=np.array([R_LOYAL]))[0]) == R_AT_RISK
    True
    """
    buyers = ~prospect
    return np.select(
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
            R_PROSPECT,
            R_NEW_WINDOW,
            R_LAPSED_NO_RHYTHM,
            R_LAPSED,
            R_AT_RISK_NO_RHYTHM,
            R_AT_RISK,
            R_NEW_SINGLE,
            loyal_rule,
        ],
        default=R_REPEAT,
    ).astype(np.int8)


def stage_codes(rules: np.ndarray) -> np.ndarray:
    """Return the stage code (position in :data:`STAGES`) of each rule code, as int64.

    Examples
    --------
    >>> [STAGES[code] for code in stage_codes(np.array([R_PROSPECT, R_LAPSED_NO_RHYTHM]))]
    ['prospect', 'lapsed']
    """
    return _STAGE_OF_RULE[rules]
