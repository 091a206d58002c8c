"""The worked example of docs/decision.md, run as written: its card (read from the page), tables
and counts, and the figure script docs/img/make_decision_plots.py grading with the same card.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models.decision import (
    AliveDrop,
    GradeDrop,
    PurchasesBelowExpected,
    Scorecard,
    health_components,
    snapshot_alerts,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _page_card() -> Scorecard:
    """The ``card = Scorecard(...)`` of docs/decision.md's worked example, run as written."""
    page = (DOCS / "decision.md").read_text(encoding="utf-8")
    code = "card = Scorecard(" + page.split("card = Scorecard(", 1)[1].split("\n)\n", 1)[0] + "\n)"
    namespace: dict[str, object] = {"Scorecard": Scorecard}
    exec(code, namespace)
    return namespace["card"]


CARD = _page_card()

#: The grade table of docs/decision.md: customers, share, holdout churn rate.
DOCS_GRADES = {
    "A": (3365, 0.143, 0.268),
    "B": (2970, 0.126, 0.475),
    "C": (6379, 0.271, 0.777),
    "D": (10856, 0.461, 0.857),
}
#: The alert counts of docs/decision.md.
DOCS_ALERTS = {"alive_drop": 425, "grade_drop": 209, "purchases_below_expected": 118}


@pytest.fixture(scope="module")
def example(cdnow_split):
    split, model = cdnow_split
    split = cm.with_time_unit(split, "W")
    customers = split.join(health_components(split, model, t=39))
    scores = CARD.score(customers)
    return split, model, customers, scores


def test_grade_table(example) -> None:
    split, _, customers, scores = example
    explained = CARD.explain(customers)
    np.testing.assert_allclose(
        explained[["rhythm", "frequency", "spend"]].sum(axis=1), scores["points"]
    )
    churned = split["frequency_holdout"].eq(0)
    counts = scores["grade"].value_counts(sort=False)
    rates = churned.groupby(scores["grade"], observed=False).mean()
    for grade, (n, share, rate) in DOCS_GRADES.items():
        assert counts[grade] == n
        assert round(n / len(split), 3) == share
        assert round(float(rates[grade]), 3) == rate
    # grades rank churn: every grade churns less than the next one down
    assert rates.is_monotonic_increasing


def test_alert_counts(example) -> None:
    split, model, customers, scores = example
    tx = cm.load_cdnow_transactions()
    late = cm.rfm_summary(tx, observation_end="1998-06-30", freq="W", value_col="amount")
    late = late.loc[split.index]
    # the later summary is the calibration summary plus the holdout
    np.testing.assert_array_equal(late["T"], split["T"] + 39)
    np.testing.assert_array_equal(
        late["frequency"], split["frequency"] + split["frequency_holdout"]
    )
    late = cm.with_time_unit(late.join(health_components(late, model, t=39)), "W")
    before = cm.with_time_unit(customers.join(scores[["grade"]]), "W")
    after = cm.with_time_unit(late.join(CARD.score(late)[["grade"]]), "W")
    rules = [AliveDrop(0.5, column="alive"), GradeDrop(2), PurchasesBelowExpected(model, alpha=0.2)]
    report = snapshot_alerts(before, after, rules, max_share=0.05)
    assert report.summary["n_fired"].to_dict() == DOCS_ALERTS
    assert not report.summary["capped"].any()
    alive = report.alerts[report.alerts["rule"] == "alive_drop"]
    drop = before["alive"] - after["alive"]
    assert set(alive["customer_id"]) == set(drop.index[drop > 0.5])
    first = report.alerts.groupby("rule").head(1).set_index("rule")["reason"].to_dict()
    assert first == {
        "alive_drop": "P(alive) fell from 0.97 to 0.00 (by more than 0.5)",
        "grade_drop": "grade dropped from A to C",
        "purchases_below_expected": (
            "0 purchases where the model expected 10.57 (P(X <= observed) = 0.0412)"
        ),
    }
    assert isinstance(report.alerts, pd.DataFrame)


def test_one_time_buyers_have_p_alive_one_and_most_churn(example) -> None:
    split, _, customers, _ = example
    once = split["frequency"] == 0
    np.testing.assert_allclose(customers.loc[once, "alive"], 1.0)
    assert round(float(split["frequency_holdout"].eq(0).mean()), 3) == 0.703
    assert split.loc[once, "frequency_holdout"].eq(0).mean() > 0.8


def test_the_figure_script_grades_with_the_page_card() -> None:
    path = DOCS / "img" / "make_decision_plots.py"
    spec = importlib.util.spec_from_file_location("make_decision_plots", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.CARD.to_json() == CARD.to_json()
