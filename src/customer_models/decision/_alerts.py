"""Alerts between two snapshots: one row per alert, per-rule counts, a guard against floods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from customer_models._polars import as_customer_frame
from customer_models._validation import check_number, check_rule
from customer_models.decision._alert_rules import TierAtRisk
from customer_models.exceptions import ParameterError

__all__ = ["AlertReport", "snapshot_alerts"]

_COLUMNS = ["rule", "reason", "before", "after", "statistic", "threshold"]


@dataclass(frozen=True)
class AlertReport:
    """The result of :func:`snapshot_alerts`.

    Attributes
    ----------
    alerts : DataFrame
        One row per alert: the customer id (a column named after the snapshots' index, or
        ``customer_id``), ``rule``, ``reason`` (text with the numbers), ``before``,
        ``after``, ``statistic`` and ``threshold`` (see :func:`snapshot_alerts`), in rule
        order and, within a rule, most severe first.
    summary : DataFrame
        One row per rule: ``n_evaluated``, ``n_fired`` (before the cap), ``n_reported``,
        ``share_fired`` (``n_fired / n_evaluated``) and ``capped``.
    """

    alerts: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame


def _threshold(rule: Any) -> float:
    for name in ("threshold", "steps", "alpha", "days"):
        if hasattr(rule, name):
            return float(getattr(rule, name))
    return float("nan")  # pragma: no cover - every built-in rule has one


def snapshot_alerts(
    before: Any,
    after: Any,
    rules: Sequence[Any],
    *,
    max_share: float = 0.1,
) -> AlertReport:
    """Evaluate alert rules between two snapshots of the same customers.

    Parameters
    ----------
    before, after : DataFrame
        Customer frames indexed by customer id as of an earlier and a later date (summaries,
        model outputs, grades, a loyalty ``tiers_at`` result, joined on the index). Rules that
        compare the two see the customers present in both; :class:`TierAtRisk` reads
        ``after`` alone.
    rules : sequence of rules
        :class:`AliveDrop`, :class:`GradeDrop`, :class:`PurchasesBelowExpected`,
        :class:`TierAtRisk`; their ``name`` must be unique.
    max_share : float, default 0.1
        Flood guard: a rule firing on more than this share of the customers it evaluated
        reports only its ``ceil(max_share * n_evaluated)`` most severe alerts (``capped`` in
        the summary; ``n_fired`` keeps the full count). 1 turns the guard off.

    Returns
    -------
    AlertReport
        ``alerts`` (one row per alert) and ``summary`` (one row per rule).

    Notes
    -----
    What ``before``, ``after`` and ``statistic`` hold for each rule:

    ===========================  ======================  ===================  ===================
    rule                         before                  after                statistic
    ===========================  ======================  ===================  ===================
    ``AliveDrop``                P(alive) before         P(alive) after       the drop
    ``GradeDrop``                grade position (1=best) grade position       grades dropped
    ``PurchasesBelowExpected``   expected purchases      observed purchases   P(X <= observed)
    ``TierAtRisk``               days to the review      amount short         amount short
    ===========================  ======================  ===================  ===================

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.decision import AliveDrop
    >>> idx = pd.Index(["a", "b", "c"], name="customer_id")
    >>> before = pd.DataFrame({"probability_alive": [0.9, 0.8, 0.7]}, index=idx)
    >>> after = pd.DataFrame({"probability_alive": [0.3, 0.75, 0.2]}, index=idx)
    >>> report = snapshot_alerts(before, after, [AliveDrop(0.2)], max_share=1)
    >>> report.alerts[["customer_id", "rule", "statistic"]]
      customer_id        rule  statistic
    0           a  alive_drop        0.6
    1           c  alive_drop        0.5
    >>> report.alerts.loc[0, "reason"]
    'P(alive) fell from 0.90 to 0.30 (by more than 0.2)'
    >>> report.summary[["n_evaluated", "n_fired", "capped"]]
                n_evaluated  n_fired  capped
    rule
    alive_drop            3        2   False
    """
    share = check_number(max_share, "max_share", low=0, high=1, low_inclusive=False)
    b = as_customer_frame(before, "before snapshot")
    a = as_customer_frame(after, "after snapshot")
    for frame, what in ((b, "before"), (a, "after")):
        check_rule(
            frame.index.duplicated(),
            frame.index,
            rule="one row per customer (unique index)",
            what=f"{what} snapshot",
        )
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Sequence) or not rules:
        raise ParameterError(
            "rules must be a non-empty list of alert rules, e.g. [AliveDrop(0.2), GradeDrop()]."
        )
    names = []
    for rule in rules:
        if not callable(getattr(rule, "evaluate", None)) or not isinstance(
            getattr(rule, "name", None), str
        ):
            raise ParameterError(f"{rule!r} is not an alert rule (AliveDrop, GradeDrop, ...).")
        if rule.name in names:
            raise ParameterError(
                f"two rules are named {rule.name!r}; give one a name=, e.g. AliveDrop(0.5, "
                "name='alive_crash')."
            )
        names.append(rule.name)
    if b.index.equals(a.index):  # the usual case: no 1M-row reindex of every column
        b_common, a_common = b, a
    else:
        common = b.index.intersection(a.index, sort=False)
        b_common, a_common = b.loc[common], a.loc[common]
    id_name = b.index.name or a.index.name or "customer_id"
    pieces, rows = [], []
    for rule in rules:
        fired = (
            rule.evaluate(b, a)
            if isinstance(rule, TierAtRisk)
            else rule.evaluate(b_common, a_common)
        )
        n_fired = int(fired.ids.size)
        limit = int(np.ceil(share * fired.n_evaluated - 1e-9))
        order = np.argsort(-fired.severity, kind="stable")[: min(limit, n_fired)]
        pieces.append(
            pd.DataFrame(
                {
                    id_name: fired.ids[order],
                    "rule": rule.name,
                    "reason": fired.reason(
                        fired.before[order], fired.after[order], fired.statistic[order]
                    ).astype(object),
                    "before": fired.before[order],
                    "after": fired.after[order],
                    "statistic": fired.statistic[order],
                    "threshold": _threshold(rule),
                }
            )
        )
        rows.append(
            {
                "rule": rule.name,
                "n_evaluated": fired.n_evaluated,
                "n_fired": n_fired,
                "n_reported": int(order.size),
                "share_fired": n_fired / fired.n_evaluated if fired.n_evaluated else 0.0,
                "capped": bool(n_fired > order.size),
            }
        )
    # empty pieces are left out of the concat (pandas warns on all-NA/empty entries)
    kept = [piece for piece in pieces if len(piece)] or pieces[:1]
    alerts = pd.concat(kept, ignore_index=True)
    alerts = alerts[[id_name, *_COLUMNS]]
    summary = pd.DataFrame(rows).set_index("rule")
    return AlertReport(alerts=alerts, summary=summary)
