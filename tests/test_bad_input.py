"""Bad input everywhere gets a CustomerModelsError (issue #12, item 9).

A battery of the mistakes a new user makes, over every public name of ``customer_models``:
strings, None, NaN, negatives and huge numbers where a number is expected, unknown option
strings, unparseable dates, duplicated column names, empty frames, a list instead of a
DataFrame, sklearn estimators used on frames with other columns, ``load_model(None)``... Each
case must raise a :class:`~customer_models.CustomerModelsError` whose message names the
parameter (``match``), so ``except CustomerModelsError`` catches every refusal. A second
battery checks that valid but degenerate input (an empty holdout, zero weights, an all-zero
value, a NaN feature) never yields NaN or inf silently.

``test_every_public_name_is_covered`` keeps the battery honest: every name in ``__all__`` is
either exercised here or listed in ``EXEMPT`` with a reason.

Cases whose fix lives in a module owned by another change are marked ``xfail(strict=True)``
with the owning file; remove the mark when that file is fixed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models import CustomerModelsError


# ---------------------------------------------------------------------------- small data
def _transactions() -> pd.DataFrame:
    return cm.make_transactions(40, random_state=0)


TX = _transactions()
SUMMARY = cm.rfm_summary(TX, value_col="amount")
BG = cm.BetaGeoModel.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4)
BG_DAYS = cm.BetaGeoModel.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4, time_unit="D")
GG = cm.GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
SBG = cm.ShiftedBetaGeoModel.from_params(alpha=0.7, beta=1.2)
BGBB = cm.BetaGeoBetaBinomModel.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
BGBB_DATA = pd.DataFrame({"frequency": [0, 2, 5], "recency": [0, 3, 6], "n_periods": [6, 6, 6]})
SCORES = pd.Series([10, 9, 8, 7, 3, 0, 10, 6, 9, 2])
SURVEY = pd.DataFrame(
    {
        "score": [10, 9, 8, 7, 3, 0, 10, 6, 9, 2],
        "region": list("ababababab"),
        "w": [1.0] * 10,
        "price": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "speed": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
    }
)
FEATURES = pd.DataFrame(
    {"tenure": np.arange(40, dtype=float), "spend": np.linspace(1, 50, 40)},
    index=pd.RangeIndex(40, name="customer_id"),
)
LABELS = pd.Series(np.arange(40) % 2, index=FEATURES.index, name="churned")
SEGMENTS = pd.Series(np.where(np.arange(40) < 20, "low", "high"), index=FEATURES.index)


def _dup(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with a second column named ``column``."""
    copy = frame.copy()
    extra = copy[[column]]
    return pd.concat([copy, extra], axis=1)


def _fitted_churn() -> cm.ChurnClassifier:
    return cm.ChurnClassifier(estimator="logistic", cv=2, n_repeats=0).fit(FEATURES, LABELS)


def _fitted_rfm() -> cm.RFMScorer:
    return cm.RFMScorer(n_bins=3).fit(SUMMARY)


# ---------------------------------------------------------------------------- the battery
@dataclass(frozen=True)
class Case:
    entry: str  #: the public name exercised
    id: str
    call: Callable[[], object]
    match: str  #: regex the message must contain (names the parameter or the rule)
    owner: str | None = None  #: file owning the fix, for a case that still fails (xfail)


CASES: list[Case] = []


def add(entry: str, id: str, call: Callable[[], object], match: str, owner: str | None = None):
    CASES.append(Case(entry, id, call, match, owner))


#: Values that are not numbers, for any numeric parameter.
NOT_NUMBERS: list[tuple[str, object]] = [
    ("str", "1"),
    ("None", None),
    ("nan", math.nan),
    ("list", [1.0]),
    ("bool", True),
]


def numbers(
    entry: str,
    name: str,
    call: Callable[[Any], object],
    *,
    none_ok: bool = False,
    array_ok: bool = False,
    extra: tuple[tuple[str, object], ...] = (),
    owner: str | None = None,
    owners: dict[str, str] | None = None,
) -> None:
    """Register ``call(value)`` for every non-number (and ``extra`` out-of-range values)."""
    for label, value in [*NOT_NUMBERS, *extra]:
        if (none_ok and value is None) or (array_ok and isinstance(value, list)):
            continue
        who = (owners or {}).get(label, owner)
        # the parameter is the last word of ``name`` ("expected_purchases t" -> "t")
        add(entry, f"{name}={label}", lambda v=value: call(v), rf"\b{name.split()[-1]}\b", who)


def log_mistakes(entry: str, call: Callable[[Any], object]) -> None:
    """Register ``call(transactions)`` on a list and on a log with two ``date`` columns."""
    add(entry, "transactions list", lambda: call([1, 2]), "DataFrame")
    add(entry, "duplicated date", lambda: call(_dup(TX, "date")), "date")


def keyword_numbers(
    entry: str, call: Callable[..., object], table: dict[str, dict[str, Any]]
) -> None:
    """``numbers(entry, name, lambda v: call(name=v), ...)`` for each keyword ``name`` of ``table``.

    A row holds the options of :func:`numbers`, and ``with``: other keywords its cases pass.
    """
    for name, row in table.items():
        options = dict(row)
        others = options.pop("with", {})
        numbers(entry, name, lambda v, n=name, o=others: call(**o, **{n: v}), **options)


def calls(function: Callable[..., object], *args: Any, **defaults: Any) -> Callable[..., object]:
    """``function(*args, **defaults)``, as a function of the keywords a case changes."""

    def call(**kwargs: Any) -> object:
        return function(*args, **{**defaults, **kwargs})

    return call


# ---- valuation models: from_params, prediction arguments, fit input --------------------
_FIT_DATA = {
    "BetaGeoBetaBinomModel": BGBB_DATA,
    "ShiftedBetaGeoModel": pd.DataFrame({"duration": [1, 2, 3, 3], "churned": [1, 1, 0, 0]}),
    "BetaDiscreteWeibullModel": pd.DataFrame({"duration": [1, 2, 3, 3], "churned": [1, 1, 0, 0]}),
}
_BG_PARAMS = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}
for _model, _params in [
    ("BetaGeoModel", _BG_PARAMS),
    ("ModifiedBetaGeoModel", _BG_PARAMS),
    ("ParetoNBDModel", {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}),
    ("BetaGeoBetaBinomModel", {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}),
    ("ShiftedBetaGeoModel", {"alpha": 0.7, "beta": 1.2}),
    ("BetaDiscreteWeibullModel", {"alpha": 0.7, "beta": 1.2, "c": 1.3}),
    ("GammaGammaModel", {"p": 6.25, "q": 3.74, "v": 15.44}),
]:
    _first = next(iter(_params))
    numbers(
        _model,
        f"from_params {_first}",
        lambda v, m=_model, p=_params, f=_first: getattr(cm, m).from_params(**{**p, f: v}),
        extra=(("negative", -1.0), ("zero", 0.0), ("inf", math.inf), ("huge", 1e300)),
    )
    add(
        _model,
        "from_params missing parameter",
        lambda m=_model, p=_params, f=_first: getattr(cm, m).from_params(
            **{k: v for k, v in p.items() if k != f}
        ),
        "missing",
    )
    add(
        _model,
        "from_params time_unit=3",
        lambda m=_model, p=_params: getattr(cm, m).from_params(time_unit=3, **p),
        "time_unit",
    )
    numbers(
        _model,
        "penalizer_coef",
        lambda v, m=_model: getattr(cm, m)(penalizer_coef=v).fit(_FIT_DATA.get(m, SUMMARY)),
        extra=(("negative", -0.1),),
    )

for _model in ["BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel"]:
    _fitted = getattr(cm, _model).from_params(
        **(
            {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}
            if _model == "ParetoNBDModel"
            else _BG_PARAMS
        )
    )
    numbers(
        _model,
        "expected_purchases t",
        lambda v, m=_fitted: m.expected_purchases(SUMMARY, t=v),
        array_ok=True,
        extra=(("negative", -1.0),),
    )
    numbers(
        _model,
        "expected_purchases_new_customer t",
        lambda v, m=_fitted: m.expected_purchases_new_customer(t=v),
        array_ok=True,
        extra=(("negative", -1.0),),
    )
    numbers(
        _model,
        "probability_of_purchases n",
        lambda v, m=_fitted: m.probability_of_purchases(SUMMARY, n=v, t=10),
        array_ok=True,
        extra=(("negative", -1), ("fraction", 1.5)),
    )
    add(_model, "fit on a list", lambda m=_model: getattr(cm, m)().fit([1, 2, 3]), "DataFrame")
    add(
        _model,
        "fit on duplicated frequency",
        lambda m=_model: getattr(cm, m)().fit(_dup(SUMMARY, "frequency")),
        "frequency",
    )
    add(
        _model,
        "fit on an empty summary",
        lambda m=_model: getattr(cm, m)().fit(SUMMARY.iloc[:0]),
        "empty",
    )
    add(
        _model,
        "fit without recency",
        lambda m=_model: getattr(cm, m)().fit(SUMMARY.drop(columns="recency")),
        "recency",
    )
    add(
        _model,
        "fit sample_weight of another length",
        lambda m=_model: getattr(cm, m)().fit(SUMMARY, sample_weight=[1.0, 2.0]),
        "sample_weight",
    )
    add(
        _model,
        "fit negative sample_weight",
        lambda m=_model: getattr(cm, m)().fit(SUMMARY, sample_weight=-np.ones(len(SUMMARY))),
        "sample_weight",
    )
    add(
        _model,
        "predict before fit",
        lambda m=_model: getattr(cm, m)().probability_alive(SUMMARY),
        "not fitted",
    )
    add(
        _model,
        "probability_alive on a dict",
        lambda m=_fitted: m.probability_alive({"frequency": [1]}),
        "recency",
    )
    add(
        _model,
        "time_unit=7",
        lambda m=_model: getattr(cm, m)(time_unit=7).fit(SUMMARY),
        "time_unit",
    )

_BGBB_NUMBERS: list[tuple[str, Callable[[Any], object], dict[str, Any]]] = [
    (
        "probability_alive periods_ahead",
        lambda v: BGBB.probability_alive(BGBB_DATA, periods_ahead=v),
        {"array_ok": True, "extra": (("negative", -1), ("fraction", 1.5))},
    ),
    (
        "expected_purchases t",
        lambda v: BGBB.expected_purchases(BGBB_DATA, t=v),
        {"array_ok": True, "extra": (("negative", -1),)},
    ),
]
for _name, _call, _options in _BGBB_NUMBERS:
    numbers("BetaGeoBetaBinomModel", _name, _call, **_options)
numbers("GammaGammaModel", "expected_spend data", lambda v: GG.expected_spend(v), none_ok=False)
add(
    "GammaGammaModel",
    "fit on duplicated monetary_value",
    lambda: cm.GammaGammaModel().fit(_dup(SUMMARY, "monetary_value")),
    "monetary_value",
)
_SBG_NUMBERS: list[tuple[str, Callable[[Any], object], dict[str, Any]]] = [
    (
        "expected_lifetime discount_rate",
        lambda v: SBG.expected_lifetime(discount_rate=v),
        {"extra": (("negative", -0.1),)},
    ),
    (
        "expected_residual_lifetime discount_rate",
        lambda v: SBG.expected_residual_lifetime(3, discount_rate=v),
        {"extra": (("negative", -0.1),)},
    ),
    ("survival t", SBG.survival, {"array_ok": True, "extra": (("negative", -1),)}),
    ("retention_rate t", SBG.retention_rate, {"array_ok": True, "extra": (("zero", 0),)}),
]
for _name, _call, _options in _SBG_NUMBERS:
    numbers("ShiftedBetaGeoModel", _name, _call, **_options)
add(
    "ShiftedBetaGeoModel",
    "cohort_to_data of strings",
    lambda: cm.ShiftedBetaGeoModel.cohort_to_data(["a", "b"]),
    "survivors",
)
add(
    "ShiftedBetaGeoModel",
    "cohort_to_data increasing",
    lambda: cm.ShiftedBetaGeoModel.cohort_to_data([100, 120]),
    "survivors",
)
add(
    "ValuationModel",
    "abstract base from_params",
    lambda: cm.ValuationModel.from_params(x=1.0),
    "ValuationModel",
)

# ---- persistence ------------------------------------------------------------------------
add("load_model", "None", lambda: cm.load_model(None), "path")
add("load_model", "int", lambda: cm.load_model(3), "path")
add("load_model", "missing file", lambda: cm.load_model("/nonexistent/model.json"), "model.json")


def _load_text(text: str) -> object:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        path.write_text(text)
        return cm.load_model(path)


add("load_model", "not JSON", lambda: _load_text("{not json"), "JSON")
add("load_model", "JSON list", lambda: _load_text("[1, 2]"), "model")
add("load_model", "a directory", lambda: cm.load_model(Path(__file__).parent), "path|directory")
add(
    "load_model",
    "unknown model",
    lambda: _load_text(json.dumps({"model": "os.system", "params": {}})),
    "model",
)
add("BetaGeoModel", "save(None)", lambda: BG.save(None), "path")

# ---- customer_lifetime_value and confidence_interval -------------------------------------


_clv = calls(
    cm.customer_lifetime_value, BG, GG, SUMMARY, horizon=12, horizon_unit="M", model_time_unit="D"
)


keyword_numbers(
    "customer_lifetime_value",
    _clv,
    {
        "horizon": {"extra": (("negative", -1),)},
        "discount_rate": {"extra": (("negative", -0.5),)},
        "margin": {},
        "n_draws": {"with": {"confidence": 0.9}, "extra": (("one", 1),)},
    },
)
add(
    "customer_lifetime_value",
    "confidence=1.5",
    lambda: _clv(confidence=1.5),
    "confidence",
)
add("customer_lifetime_value", "discounting='x'", lambda: _clv(discounting="x"), "discounting")
add("customer_lifetime_value", "method='x'", lambda: _clv(confidence=0.9, method="x"), "method")
add(
    "customer_lifetime_value",
    "random_state='a'",
    lambda: _clv(confidence=0.9, random_state="a"),
    "random_state",
)
add(
    "customer_lifetime_value",
    "horizon_unit='fortnight'",
    lambda: _clv(horizon_unit="fortnight"),
    "unit",
)
add(
    "customer_lifetime_value",
    "bootstrap without fit_data",
    lambda: _clv(confidence=0.9, method="bootstrap", n_draws=2),
    "fit_data",
)
add(
    "customer_lifetime_value",
    "data list",
    lambda: cm.customer_lifetime_value(BG, GG, [1], horizon=12),
    "DataFrame",
)


_interval = calls(cm.confidence_interval, BG, SUMMARY.head(5), t=30, n_draws=20, random_state=0)


keyword_numbers(
    "confidence_interval",
    _interval,
    {
        "confidence": {"extra": (("zero", 0.0), ("one", 1.0))},
        "n_draws": {"extra": (("one", 1), ("fraction", 20.5), ("huge", 10**12))},
        "t": {"none_ok": False, "extra": (("negative", -1.0),)},
        "chunk_size": {"none_ok": True, "extra": (("zero", 0),)},
    },
)
add("confidence_interval", "random_state='a'", lambda: _interval(random_state="a"), "random_state")
add("confidence_interval", "random_state=-1", lambda: _interval(random_state=-1), "random_state")
add("confidence_interval", "quantity='x'", lambda: _interval(quantity="x"), "quantity")
add("confidence_interval", "method='x'", lambda: _interval(method="x"), "method")
add("confidence_interval", "data list", lambda: cm.confidence_interval(BG, [1], t=3), "DataFrame")
add(
    "confidence_interval",
    "fit_data a list",
    lambda: _interval(method="bootstrap", fit_data=[1]),
    "fit_data",
)

# ---- evaluation ---------------------------------------------------------------------------
_HOLDOUT = cm.calibration_holdout_split(TX, calibration_end="2025-06-30", value_col="amount")
keyword_numbers(
    "evaluate_holdout",
    calls(cm.evaluate_holdout, BG, _HOLDOUT),
    {"max_frequency": {"extra": (("zero", 0),)}, "n_bins": {"extra": (("zero", 0),)}},
)
add("evaluate_holdout", "data list", lambda: cm.evaluate_holdout(BG, [1]), "DataFrame")
add(
    "evaluate_holdout",
    "no holdout columns",
    lambda: cm.evaluate_holdout(BG, SUMMARY),
    "holdout",
)
add(
    "evaluate_holdout",
    "duplicated frequency_holdout",
    lambda: cm.evaluate_holdout(BG, _dup(_HOLDOUT, "frequency_holdout")),
    "frequency_holdout",
)
add(
    "evaluate_holdout",
    "an empty holdout",
    lambda: cm.evaluate_holdout(BG, _HOLDOUT.iloc[:0]),
    "empty",
)
add(
    "evaluate_holdout",
    "model without predictions",
    lambda: cm.evaluate_holdout(object(), _HOLDOUT),
    "model",
)
numbers(
    "frequency_fit",
    "max_frequency",
    lambda v: cm.frequency_fit(BG, SUMMARY, max_frequency=v),
    extra=(("zero", 0),),
)
add("frequency_fit", "data list", lambda: cm.frequency_fit(BG, [1]), "DataFrame")
_split = calls(cm.split_customers, SUMMARY)
keyword_numbers(
    "split_customers",
    _split,
    {
        "test_size": {"extra": (("zero", 0.0), ("one", 1.0), ("1.5", 1.5))},
        "n_bins": {"with": {"stratify": "frequency"}, "extra": (("zero", 0),)},
    },
)
add("split_customers", "random_state='a'", lambda: _split(random_state="a"), "random_state")
add("split_customers", "stratify unknown", lambda: _split(stratify="fq"), "fq")
add("split_customers", "data list", lambda: cm.split_customers([1, 2]), "DataFrame")
add(
    "split_customers",
    "duplicated columns",
    lambda: cm.split_customers(_dup(SUMMARY, "frequency"), stratify="frequency"),
    "frequency",
)
add(
    "transaction_tracking",
    "period='fortnight'",
    lambda: cm.transaction_tracking(BG_DAYS, SUMMARY, TX, period="fortnight"),
    "period",
)
add(
    "transaction_tracking",
    "transactions list",
    lambda: cm.transaction_tracking(BG, SUMMARY, [1]),
    "DataFrame",
)

# ---- feedback ------------------------------------------------------------------------------
keyword_numbers(
    "nps",
    calls(cm.nps, SCORES),
    {
        "confidence": {"extra": (("zero", 0.0), ("one", 1.0))},
        "n_draws": {
            "with": {"method": "bootstrap", "random_state": 0},
            "extra": (("zero", 0), ("huge", 10**12)),
        },
    },
)
add("nps", "method='x'", lambda: cm.nps(SCORES, method="x"), "method")
add(
    "nps",
    "random_state='a'",
    lambda: cm.nps(SCORES, method="bootstrap", random_state="a"),
    "random_state",
)
add("nps", "scores of strings", lambda: cm.nps(["great", "bad"]), "score")
add("nps", "scores out of 0-10", lambda: cm.nps([11, 3]), "score|0")
add("nps", "empty", lambda: cm.nps([]), "empty|no scores|score")
add(
    "nps",
    "weights of another length",
    lambda: cm.nps(SCORES, sample_weight=[1, 2]),
    "sample_weight",
)
add("nps", "negative weights", lambda: cm.nps(SCORES, sample_weight=-np.ones(10)), "sample_weight")
add("nps", "zero weights", lambda: cm.nps(SCORES, sample_weight=np.zeros(10)), "sample_weight")
add("nps", "dropna='yes'", lambda: cm.nps(SCORES, dropna="yes"), "dropna")
add("nps", "scores a DataFrame", lambda: cm.nps(SURVEY), "scores|one-dimensional")
numbers(
    "nps_test",
    "confidence",
    lambda v: cm.nps_test(SCORES, SCORES[::-1], confidence=v),
    extra=(("one", 1.0),),
)
add(
    "nps_test",
    "method='bootstrap'",
    lambda: cm.nps_test(SCORES, SCORES, method="bootstrap"),
    "method",
)
numbers(
    "csat",
    "confidence",
    lambda v: cm.csat([1, 5, 4], confidence=v),
    extra=(("one", 1.0),),
)
add("csat", "scale reversed", lambda: cm.csat([1, 5, 4], scale=(5, 1)), "scale")
add("csat", "scale='1-5'", lambda: cm.csat([1, 5, 4], scale="1-5"), "scale")
add("csat", "satisfied outside scale", lambda: cm.csat([1, 5, 4], satisfied=(6, 7)), "satisfied")
add("csat", "satisfied='top2'", lambda: cm.csat([1, 5, 4], satisfied="top2"), "satisfied")
add("csat", "satisfied='45'", lambda: cm.csat([1, 5, 4], satisfied="45"), "satisfied")
add("csat", "zero weights", lambda: cm.csat([1, 5, 4], sample_weight=[0, 0, 0]), "sample_weight")
numbers(
    "ces",
    "confidence",
    lambda v: cm.ces([1, 7, 4], confidence=v),
    extra=(("zero", 0.0),),
)
add("ces", "scale=(1, None)", lambda: cm.ces([1, 7, 4], scale=(1, None)), "scale")
add("ces", "scores of strings", lambda: cm.ces(["easy"]), "score")


_summary = calls(cm.feedback_summary, data=SURVEY, score_col="score")


add("feedback_summary", "data list", lambda: _summary(data=[1, 2]), "DataFrame")
add("feedback_summary", "missing score_col", lambda: _summary(score_col="scroe"), "scroe")
add("feedback_summary", "score_col=None", lambda: _summary(score_col=None), "score_col")
add("feedback_summary", "metric='x'", lambda: _summary(metric="x"), "metric")
add("feedback_summary", "method='x'", lambda: _summary(method="x"), "method")
add("feedback_summary", "by missing", lambda: _summary(by="regoin"), "regoin")
add("feedback_summary", "weight_col missing", lambda: _summary(weight_col="ww"), "ww")
add(
    "feedback_summary",
    "zero weights",
    lambda: _summary(data=SURVEY.assign(w=0.0), weight_col="w"),
    "weight",
)
add(
    "feedback_summary",
    "duplicated score column",
    lambda: _summary(data=_dup(SURVEY, "score")),
    "score",
)
add("feedback_summary", "empty", lambda: _summary(data=SURVEY.iloc[:0]), "empty")
numbers(
    "feedback_summary",
    "confidence",
    lambda v: _summary(confidence=v),
    extra=(("one", 1.0),),
)
add("feedback_summary", "dropna='no'", lambda: _summary(dropna="no"), "dropna")


_drivers = calls(
    cm.key_drivers,
    data=SURVEY,
    target="score",
    drivers=["price", "speed"],
    n_draws=20,
    random_state=0,
)


keyword_numbers(
    "key_drivers",
    _drivers,
    {
        "n_draws": {"extra": (("negative", -1), ("huge", 10**12))},
        "confidence": {"extra": (("one", 1.0),)},
    },
)
add("key_drivers", "random_state='a'", lambda: _drivers(random_state="a"), "random_state")
add("key_drivers", "target missing", lambda: _drivers(target="scroe"), "scroe")
add("key_drivers", "drivers a number", lambda: _drivers(drivers=3), "drivers")
add("key_drivers", "dropna='no'", lambda: _drivers(dropna="no"), "dropna")
add("key_drivers", "target=None", lambda: _drivers(target=None), "target")
add("key_drivers", "drivers empty", lambda: _drivers(drivers=[]), "drivers")
add("key_drivers", "driver missing", lambda: _drivers(drivers=["price", "sped"]), "sped")
add("key_drivers", "data list", lambda: _drivers(data=[1]), "DataFrame")
add("key_drivers", "duplicated driver", lambda: _drivers(data=_dup(SURVEY, "price")), "price")
add(
    "key_drivers",
    "non-numeric driver",
    lambda: _drivers(drivers=["price", "region"]),
    "region",
)

# ---- segmentation ---------------------------------------------------------------------------
numbers(
    "RFMScorer",
    "n_bins",
    lambda v: cm.RFMScorer(n_bins=v).fit(SUMMARY),
    extra=(("one", 1), ("fraction", 2.5)),
)
add("RFMScorer", "combined='x'", lambda: cm.RFMScorer(combined="x").fit(SUMMARY), "combined")
add(
    "RFMScorer",
    "missing recency column",
    lambda: cm.RFMScorer(recency_col="recncy").fit(SUMMARY),
    "recncy",
)
add(
    "RFMScorer",
    "duplicated frequency",
    lambda: cm.RFMScorer().fit(_dup(SUMMARY, "frequency")),
    "frequency",
)
add("RFMScorer", "fit on a string", lambda: cm.RFMScorer().fit("summary.csv"), "2D array|DataFrame")
add("RFMScorer", "fit on an empty frame", lambda: cm.RFMScorer().fit(SUMMARY.iloc[:0]), "empty|0")
add(
    "RFMScorer",
    "transform on other columns",
    lambda: _fitted_rfm().transform(SUMMARY.rename(columns={"frequency": "freq"})),
    "frequency|freq",
)
add("RFMScorer", "transform before fit", lambda: cm.RFMScorer().transform(SUMMARY), "fitted")
numbers(
    "RFMSegmenter",
    "n_bins",
    lambda v: cm.RFMSegmenter(n_bins=v).fit(SUMMARY),
    extra=(("zero", 0),),
)
add("RFMSegmenter", "segments='x'", lambda: cm.RFMSegmenter(segments="x").fit(SUMMARY), "segments")
add(
    "RFMSegmenter",
    "predict on other columns",
    lambda: cm.RFMSegmenter().fit(SUMMARY).predict(SUMMARY[["recency", "T"]]),
    "frequency",
)
add("RuleSegmenter", "rules='x'", lambda: cm.RuleSegmenter("x").fit(SUMMARY), "rules")
add("RuleSegmenter", "rules={}", lambda: cm.RuleSegmenter({}).fit(SUMMARY), "rules")
add(
    "RuleSegmenter",
    "rule on a missing column",
    lambda: cm.RuleSegmenter({"big": {"frequncy": (5, None)}}).fit(SUMMARY),
    "frequncy",
)
add(
    "RuleSegmenter",
    "default=3",
    lambda: cm.RuleSegmenter({"big": {"frequency": (5, None)}}, default=3).fit(SUMMARY),
    "default",
)
add(
    "RuleSegmenter",
    "duplicated frequency",
    lambda: cm.RuleSegmenter({"big": {"frequency": (5, None)}}).fit(_dup(SUMMARY, "frequency")),
    "frequency",
)
add(
    "ValueSegmenter",
    "method='x'",
    lambda: cm.ValueSegmenter("x", value_col="total_value").fit(SUMMARY),
    "method",
)
add(
    "ValueSegmenter",
    "thresholds='a'",
    lambda: cm.ValueSegmenter(value_col="total_value", thresholds="a").fit(SUMMARY),
    "thresholds",
)
add(
    "ValueSegmenter",
    "thresholds decreasing",
    lambda: cm.ValueSegmenter(value_col="total_value", thresholds=(0.9, 0.5)).fit(SUMMARY),
    "thresholds",
)
add(
    "ValueSegmenter",
    "thresholds above 1",
    lambda: cm.ValueSegmenter(value_col="total_value", thresholds=(0.5, 1.5)).fit(SUMMARY),
    "thresholds",
)
add(
    "ValueSegmenter",
    "thresholds with None",
    lambda: cm.ValueSegmenter(value_col="total_value", thresholds=(0.5, None)).fit(SUMMARY),
    "thresholds",
)
add(
    "ValueSegmenter",
    "labels of the wrong length",
    lambda: cm.ValueSegmenter(value_col="total_value", labels=["A"]).fit(SUMMARY),
    "labels",
)
add(
    "ValueSegmenter",
    "value_col missing",
    lambda: cm.ValueSegmenter(value_col="totl").fit(SUMMARY),
    "totl",
)
add(
    "ValueSegmenter",
    "negative value",
    lambda: cm.ValueSegmenter(value_col="total_value").fit(SUMMARY.assign(total_value=-1.0)),
    "total_value",
)
for _label, _value in [("str", "3"), ("zero", 0), ("bool", True), ("None", None), ("1.5", 1.5)]:
    add(
        "KMeansSegmenter",
        f"n_clusters={_label}",
        lambda v=_value: cm.KMeansSegmenter(v, columns=["frequency", "recency"]).fit(SUMMARY),
        "n_clusters",
    )
add(
    "KMeansSegmenter",
    "k_range reversed",
    lambda: cm.KMeansSegmenter(k_range=(5, 2), columns=["frequency", "recency"]).fit(SUMMARY),
    "k_range",
)
add(
    "KMeansSegmenter",
    "k_range='2-5'",
    lambda: cm.KMeansSegmenter(k_range="2-5", columns=["frequency", "recency"]).fit(SUMMARY),
    "k_range",
)
keyword_numbers(
    "KMeansSegmenter",
    lambda **kw: cm.KMeansSegmenter(3, columns=["frequency"], **kw).fit(SUMMARY),
    {"sample_size": {"extra": (("zero", 0),)}, "n_init": {"extra": (("zero", 0),)}},
)
add(
    "KMeansSegmenter",
    "random_state='a'",
    lambda: cm.KMeansSegmenter(3, random_state="a", columns=["frequency"]).fit(SUMMARY),
    "random_state",
)
add(
    "KMeansSegmenter",
    "log_transform='yes'",
    lambda: cm.KMeansSegmenter(3, log_transform="yes", columns=["frequency"]).fit(SUMMARY),
    "log_transform",
)
add(
    "KMeansSegmenter",
    "columns missing",
    lambda: cm.KMeansSegmenter(3, columns=["frequncy"]).fit(SUMMARY),
    "frequncy",
)
add(
    "KMeansSegmenter",
    "predict on other columns",
    lambda: (
        cm.KMeansSegmenter(2, columns=["frequency", "recency"])
        .fit(SUMMARY)
        .predict(SUMMARY[["T", "recency"]])
    ),
    "frequency",
)
add(
    "KMeansSegmenter",
    "names of the wrong length",
    lambda: cm.KMeansSegmenter(2, columns=["frequency"], names=["a"]).fit(SUMMARY),
    "names",
)
add("band_rules", "edges='a'", lambda: cm.band_rules("frequency", "a"), "edges")
add("band_rules", "edges decreasing", lambda: cm.band_rules("frequency", [5, 1]), "edges")
add("band_rules", "edges with NaN", lambda: cm.band_rules("frequency", [1, math.nan]), "edges")
add(
    "band_rules",
    "labels wrong length",
    lambda: cm.band_rules("frequency", [1, 5], labels=["a"]),
    "labels",
)
add(
    "band_rules",
    "open_ends='no'",
    lambda: cm.band_rules("frequency", [1, 5], open_ends="no"),
    "open_ends",
)
_explain = calls(cm.explain_segments, FEATURES, SEGMENTS)
add("explain_segments", "method='x'", lambda: _explain(method="x"), "method")
numbers("explain_segments", "max_depth", lambda v: _explain(max_depth=v), extra=(("zero", 0),))
add("explain_segments", "random_state='a'", lambda: _explain(random_state="a"), "random_state")
add(
    "explain_segments",
    "segments of another length",
    lambda: cm.explain_segments(FEATURES, SEGMENTS.iloc[:5].reset_index(drop=True)),
    "segments",
)
add("explain_segments", "features missing", lambda: _explain(features=["tenur"]), "tenur")
add("explain_segments", "X list", lambda: cm.explain_segments([1, 2], [0, 1]), "DataFrame|X")
add(
    "explain_segments",
    "predict on other columns",
    lambda: _explain().predict(FEATURES[["spend"]]),
    "tenure",
)
add(
    "segment_migration",
    "normalize='yes'",
    lambda: cm.segment_migration(SEGMENTS, SEGMENTS, normalize="yes"),
    "normalize",
)
add(
    "segment_migration",
    "new_label=3",
    lambda: cm.segment_migration(SEGMENTS, SEGMENTS, new_label=3),
    "new_label",
)
add(
    "segment_migration",
    "before a list",
    lambda: cm.segment_migration(["a", "b"], SEGMENTS),
    "before",
)
add(
    "segment_migration",
    "duplicated customers",
    lambda: cm.segment_migration(pd.concat([SEGMENTS, SEGMENTS]), SEGMENTS),
    "before|duplicate|unique",
)
add(
    "segment_profile",
    "features missing",
    lambda: cm.segment_profile(FEATURES, SEGMENTS, features=["tenur"]),
    "tenur",
)
add(
    "segment_profile",
    "value_col missing",
    lambda: cm.segment_profile(FEATURES, SEGMENTS, value_col="spnd"),
    "spnd",
)
add("segment_profile", "data list", lambda: cm.segment_profile([1, 2], ["a", "b"]), "DataFrame")
add(
    "segment_profile",
    "duplicated column",
    lambda: cm.segment_profile(_dup(FEATURES, "spend"), SEGMENTS),
    "spend",
)
add(
    "segment_profile",
    "segments of another length",
    lambda: cm.segment_profile(FEATURES, SEGMENTS.iloc[:3]),
    "segments",
)
add(
    "behavior_features",
    "transactions list",
    lambda: cm.behavior_features([1, 2]),
    "DataFrame",
)
add(
    "behavior_features",
    "time_of_day='maybe'",
    lambda: cm.behavior_features(TX, time_of_day="maybe"),
    "time_of_day",
)
add(
    "behavior_features",
    "duplicated date",
    lambda: cm.behavior_features(_dup(TX, "date")),
    "date",
)

# ---- churn ---------------------------------------------------------------------------------
keyword_numbers(
    "ChurnClassifier",
    lambda **kw: cm.ChurnClassifier(estimator="logistic", **kw).fit(FEATURES, LABELS),
    {"C": {"extra": (("zero", 0.0),)}, "cv": {"extra": (("one", 1),)}},
)
add(
    "ChurnClassifier",
    "random_state='a'",
    lambda: cm.ChurnClassifier(random_state="a", estimator="logistic").fit(FEATURES, LABELS),
    "random_state",
)
add(
    "ChurnClassifier",
    "estimator='x'",
    lambda: cm.ChurnClassifier("x").fit(FEATURES, LABELS),
    "estimator",
)
add(
    "ChurnClassifier",
    "y None",
    lambda: cm.ChurnClassifier().fit(FEATURES, None),
    "y",
)
add(
    "ChurnClassifier",
    "ambiguous labels",
    lambda: cm.ChurnClassifier().fit(FEATURES, np.where(LABELS == 1, "left", "stayed")),
    "pos_label",
)
add(
    "ChurnClassifier",
    "duplicated column",
    lambda: cm.ChurnClassifier().fit(_dup(FEATURES, "spend"), LABELS),
    "spend",
)
add(
    "ChurnClassifier",
    "predict on other columns",
    lambda: _fitted_churn().predict(FEATURES.rename(columns={"spend": "spent"})),
    "spend|spent",
)
add(
    "ChurnClassifier",
    "predict with a missing column",
    lambda: _fitted_churn().predict_proba(FEATURES[["tenure"]]),
    "spend|feature",
)
add(
    "ChurnClassifier",
    "predict before fit",
    lambda: cm.ChurnClassifier().predict(FEATURES),
    "fitted",
)
add(
    "ChurnClassifier",
    "evaluate n_bins='a'",
    lambda: _fitted_churn().evaluate(FEATURES, LABELS, n_bins="a"),
    "n_bins",
)
numbers(
    "evaluate_churn",
    "n_bins",
    lambda v: cm.evaluate_churn([0, 1], [0.2, 0.8], n_bins=v),
    extra=(("zero", 0),),
)
add(
    "evaluate_churn",
    "probabilities of strings",
    lambda: cm.evaluate_churn([0, 1], ["low", "high"]),
    "churn_probability",
)
add(
    "evaluate_churn",
    "ambiguous labels",
    lambda: cm.evaluate_churn(["a", "b"], [0.1, 0.2]),
    "pos_label",
)
add(
    "PAliveChurnScorer",
    "model None",
    lambda: cm.PAliveChurnScorer(None).churn_probability(SUMMARY),
    "model",
)
numbers(
    "PAliveChurnScorer",
    "horizon",
    lambda v: cm.PAliveChurnScorer(BG, horizon=v).churn_probability(SUMMARY),
    none_ok=True,
    extra=(("negative", -1.0),),
)
add(
    "PAliveChurnScorer",
    "summary list",
    lambda: cm.PAliveChurnScorer(BG).churn_probability([1]),
    "DataFrame",
)
_P = pd.Series([0.9, 0.1, 0.5])
_V = pd.Series([10.0, 20.0, 5.0])
keyword_numbers(
    "retention_targets",
    calls(cm.retention_targets, _P, _V),
    {
        "budget": {"none_ok": True, "extra": (("negative", -1.0),)},
        "success_rate": {"extra": (("1.5", 1.5),)},
        "cost_per_contact": {"extra": (("negative", -1.0),)},
    },
)
add(
    "retention_targets",
    "value of strings",
    lambda: cm.retention_targets(_P, ["a", "b", "c"]),
    "value",
)
numbers(
    "kaplan_meier",
    "confidence",
    lambda v: cm.kaplan_meier([1, 2, 3], [1, 0, 1], confidence=v),
    extra=(("one", 1.0),),
)
add(
    "kaplan_meier",
    "method='x'",
    lambda: cm.kaplan_meier([1, 2, 3], [1, 0, 1], method="x"),
    "method",
)
add(
    "kaplan_meier",
    "durations of strings",
    lambda: cm.kaplan_meier(["a", "b"], [1, 0]),
    "durations",
)
add(
    "cohort_retention",
    "cohort='fortnight'",
    lambda: cm.cohort_retention(TX, cohort="fortnight"),
    "cohort",
)
add(
    "cohort_retention",
    "observation_end unparseable",
    lambda: cm.cohort_retention(TX, observation_end="not a date"),
    "observation_end",
)
add(
    "cohort_retention",
    "values='x'",
    lambda: cm.cohort_retention(TX, values="x"),
    "values",
)
log_mistakes("cohort_retention", cm.cohort_retention)
add(
    "churn_dataset",
    "as_of unparseable",
    lambda: cm.churn_dataset(TX, as_of="soon", horizon=30),
    "as_of",
)
add(
    "churn_dataset",
    "horizon='a'",
    lambda: cm.churn_dataset(TX, as_of="2025-01-01", horizon="a"),
    "horizon",
)
add(
    "churn_dataset",
    "horizon=None",
    lambda: cm.churn_dataset(TX, as_of="2025-01-01", horizon=None),
    "horizon",
)
add(
    "churn_dataset",
    "duplicated amount",
    lambda: cm.churn_dataset(
        _dup(TX, "amount"), as_of="2025-01-01", horizon=30, value_col="amount"
    ),
    "amount",
)

add(
    "churn_features",
    "as_of unparseable",
    lambda: cm.churn_features(TX, as_of="today-ish", trend_window=30),
    "as_of",
)
add(
    "churn_features",
    "trend_window='a'",
    lambda: cm.churn_features(TX, trend_window="a"),
    "trend_window",
)
add(
    "churn_features",
    "on_missing_attributes='x'",
    lambda: cm.churn_features(TX, trend_window=30, on_missing_attributes="x"),
    "on_missing_attributes",
)
add(
    "churn_features",
    "refunds='x'",
    lambda: cm.churn_features(TX, trend_window=30, refunds="x"),
    "refunds",
)
log_mistakes("churn_features", lambda tx: cm.churn_features(tx, trend_window=30))

add(
    "with_time_unit",
    "summary a list",
    lambda: cm.with_time_unit([1, 2], "W"),
    "DataFrame",
)
add("with_time_unit", "time_unit=None", lambda: cm.with_time_unit(SUMMARY, None), "time_unit")
add("with_time_unit", "time_unit=3", lambda: cm.with_time_unit(SUMMARY, 3), "time_unit")

# ---- summary, lifecycle, loyalty, datasets -------------------------------------------------------
log_mistakes("rfm_summary", cm.rfm_summary)
add(
    "rfm_summary",
    "observation_end unparseable",
    lambda: cm.rfm_summary(TX, observation_end="end of year"),
    "observation_end",
)
add("rfm_summary", "freq='fortnight'", lambda: cm.rfm_summary(TX, freq="fortnight"), "freq")
add(
    "rfm_summary",
    "customer_col=None",
    lambda: cm.rfm_summary(TX, customer_col=None),
    "customer_col|column None",
)
add(
    "calibration_holdout_split",
    "calibration_end unparseable",
    lambda: cm.calibration_holdout_split(TX, calibration_end="mid 2025"),
    "calibration_end",
)
add(
    "calibration_holdout_split",
    "calibration_end None",
    lambda: cm.calibration_holdout_split(TX, calibration_end=None),
    "calibration_end",
)
add(
    "LifecycleStageClassifier",
    "method='x'",
    lambda: cm.LifecycleStageClassifier("x").fit(SUMMARY),
    "method",
)
numbers(
    "LifecycleStageClassifier",
    "new_days",
    lambda v: cm.LifecycleStageClassifier(new_days=v).fit(SUMMARY),
    extra=(("negative", -1.0),),
)
add(
    "stages_at",
    "as_of unparseable",
    lambda: cm.stages_at(TX, ["not a date"]),
    "as_of",
)
add(
    "stages_at",
    "as_of mixed tz",
    lambda: cm.stages_at(TX, [pd.Timestamp("2025-01-01", tz="UTC"), pd.Timestamp("2025-02-01")]),
    "as_of|tz|time zone",
)
add("stages_at", "transactions list", lambda: cm.stages_at([1], ["2025-01-01"]), "DataFrame")
add(
    "stage_transitions",
    "as_of unparseable",
    lambda: cm.stage_transitions(TX, ["2025-01-01", "later"]),
    "as_of",
)
add(
    "stage_transitions",
    "include_zero='yes'",
    lambda: cm.stage_transitions(TX, ["2025-01-01", "2025-06-01"], include_zero="yes"),
    "include_zero",
)
_TIERS = {"member": 0, "silver": 100, "gold": 500}
add("LoyaltyProgram", "tiers='x'", lambda: cm.LoyaltyProgram("x").validate(), "tiers")
numbers(
    "LoyaltyProgram",
    "points",
    lambda v: cm.LoyaltyProgram(_TIERS, points=v).validate(),
    extra=(("negative", -1.0),),
)
add(
    "LoyaltyProgram",
    "as_of unparseable",
    lambda: cm.LoyaltyProgram(_TIERS).tiers_at(TX, as_of="someday"),
    "as_of",
)
add(
    "LoyaltyProgram",
    "qualifying='x'",
    lambda: cm.LoyaltyProgram(_TIERS, qualifying="x").tiers_at(TX, as_of="2025-06-01"),
    "qualifying",
)
add(
    "TierHistory",
    "matrix from_date unparseable",
    lambda: (
        cm.LoyaltyProgram(_TIERS)
        .history(TX, ["2025-01-01", "2025-06-01"])
        .matrix(from_date="someday")
    ),
    "from_date",
)
numbers(
    "make_transactions",
    "n_customers",
    lambda v: cm.make_transactions(v),
    extra=(("negative", -1), ("zero", 0)),
)
add("make_transactions", "process='x'", lambda: cm.make_transactions(5, process="x"), "process")
add(
    "make_transactions",
    "random_state='a'",
    lambda: cm.make_transactions(5, random_state="a"),
    "random_state",
)
add(
    "make_transactions",
    "start unparseable",
    lambda: cm.make_transactions(5, start="soon"),
    "start",
)
add(
    "load_cdnow_transactions",
    "sample='yes'",
    lambda: cm.load_cdnow_transactions(sample="yes"),
    "sample",
)


#: Cases that still fail because the fix lies in a module another change owns: xfail(strict)
#: with the owning file. Remove an entry when its owner fixes it (strict xfail will say so).
OWNED_ELSEWHERE: dict[str, str] = {}


# ---- more mistakes (the battery keeps growing) ----------------------------------------------
add(
    "evaluate_churn",
    "n_bins=10**9 (work bounded)",
    lambda: cm.evaluate_churn([0, 1], [0.2, 0.8], n_bins=10**9),
    "n_bins",
)
add(
    "evaluate_holdout",
    "max_frequency=10**9 (work bounded)",
    lambda: cm.evaluate_holdout(BG, _HOLDOUT, max_frequency=10**9),
    "max_frequency",
)
add(
    "frequency_fit",
    "max_frequency=10**9 (work bounded)",
    lambda: cm.frequency_fit(BG, SUMMARY, max_frequency=10**9),
    "max_frequency",
)
add(
    "evaluate_holdout",
    "n_bins=10**9 (work bounded)",
    lambda: cm.evaluate_holdout(BG, _HOLDOUT, n_bins=10**9),
    "n_bins",
)
add(
    "evaluate_holdout",
    "spend_model without expected_spend",
    lambda: cm.evaluate_holdout(BG, _HOLDOUT, spend_model=object()),
    "spend_model",
)
add(
    "ChurnClassifier",
    "y of another length",
    lambda: cm.ChurnClassifier(estimator="logistic", cv=2).fit(FEATURES, LABELS.iloc[:10]),
    "rows|length|samples",
)
add(
    "ChurnClassifier",
    "y two-dimensional",
    lambda: cm.ChurnClassifier(estimator="logistic", cv=2).fit(
        FEATURES, np.column_stack([LABELS, LABELS])
    ),
    "y",
)
add(
    "ChurnClassifier",
    "pos_label not a label",
    lambda: cm.ChurnClassifier(pos_label="gone", cv=2).fit(FEATURES, LABELS),
    "pos_label",
)
add(
    "ChurnClassifier",
    "max_categories='a'",
    lambda: cm.ChurnClassifier(max_categories="a").fit(FEATURES, LABELS),
    "max_categories",
)
add(
    "ChurnClassifier",
    "calibration='platt'",
    lambda: cm.ChurnClassifier(calibration="platt").fit(FEATURES, LABELS),
    "calibration",
)
add(
    "ChurnClassifier",
    "n_repeats=-1",
    lambda: cm.ChurnClassifier(n_repeats=-1).fit(FEATURES, LABELS),
    "n_repeats",
)
add(
    "ChurnClassifier",
    "predict on an empty frame",
    lambda: _fitted_churn().predict(FEATURES.iloc[:0]),
    "empty",
)
add(
    "ChurnClassifier",
    "predict on infinite values",
    lambda: _fitted_churn().predict(FEATURES.assign(spend=np.inf)),
    "infinite",
)
add(
    "evaluate_churn",
    "y a two-column frame",
    lambda: cm.evaluate_churn(pd.DataFrame({"a": [0, 1], "b": [1, 0]}), [0.2, 0.8]),
    "y|binary|rows",
)
add(
    "evaluate_churn",
    "probabilities with None",
    lambda: cm.evaluate_churn([0, 1], [0.2, None]),
    "churn_probability",
)
add(
    "PAliveChurnScorer",
    "model without probability_alive",
    lambda: cm.PAliveChurnScorer(object()).predict_proba(SUMMARY),
    "probability_alive",
)
add(
    "PAliveChurnScorer",
    "evaluate with ambiguous labels",
    lambda: cm.PAliveChurnScorer(BG).evaluate(
        SUMMARY, np.where(SUMMARY["frequency"] > 0, "stayed", "left")
    ),
    "pos_label",
)
add(
    "retention_targets",
    "churn_probability a two-column frame",
    lambda: cm.retention_targets(pd.DataFrame({"a": _P, "b": _P}), _V),
    "churn_probability",
)
add(
    "retention_targets",
    "probabilities above 1",
    lambda: cm.retention_targets(_P * 2, _V),
    "churn_probability",
)
add("nps_test", "sample of strings", lambda: cm.nps_test(["a", "b"], SCORES), "numeric|sample")
add("nps_test", "dropna='yes'", lambda: cm.nps_test(SCORES, SCORES, dropna="yes"), "dropna")
add(
    "csat",
    "negative weights",
    lambda: cm.csat([1, 5, 4], sample_weight=[1, -1, 1]),
    "sample_weight",
)
add("csat", "dropna=1", lambda: cm.csat([1, 5, 4], dropna=1), "dropna")
add("ces", "dropna='x'", lambda: cm.ces([1, 7, 4], dropna="x"), "dropna")
add(
    "ces",
    "weights of another length",
    lambda: cm.ces([1, 7, 4], sample_weight=[1]),
    "sample_weight",
)
add(
    "feedback_summary",
    "scale='1-5' for csat",
    lambda: _summary(metric="csat", score_col="speed", scale="1-5"),
    "scale",
)
add(
    "feedback_summary",
    "weight_col of strings",
    lambda: _summary(data=SURVEY.assign(w="x"), weight_col="w"),
    "w",
)
add(
    "key_drivers",
    "drivers repeated",
    lambda: _drivers(drivers=["price", "price"]),
    "repeat",
)
add(
    "key_drivers",
    "target among the drivers",
    lambda: _drivers(drivers=["price", "score"]),
    "target",
)
add(
    "RFMScorer",
    "T_col missing",
    lambda: cm.RFMScorer(T_col="TT").fit(SUMMARY),
    "TT",
)
add(
    "RFMScorer",
    "n_bins above the number of customers",
    lambda: cm.RFMScorer(n_bins=9).fit(SUMMARY.head(3)),
    "n_bins|customers|rows",
)
add(
    "RFMScorer",
    "frequency of strings",
    lambda: cm.RFMScorer().fit(SUMMARY.assign(frequency="many")),
    "frequency",
)
add(
    "RFMSegmenter",
    "segments with an unknown score code",
    lambda: cm.RFMSegmenter(segments={"A": {"x": (1, 5)}}).fit(SUMMARY),
    "segments|x",
)
add(
    "RuleSegmenter",
    "rule with a non-numeric range on a text column",
    lambda: cm.RuleSegmenter({"a": {"region": (1, 2)}}).fit(SURVEY),
    "region",
)
add(
    "RuleSegmenter",
    "predict on other columns",
    lambda: (
        cm.RuleSegmenter({"big": {"frequency": (5, None)}})
        .fit(SUMMARY)
        .predict(SUMMARY.drop(columns="frequency"))
    ),
    "frequency",
)
add(
    "ValueSegmenter",
    "NaN value",
    lambda: cm.ValueSegmenter(value_col="total_value").fit(SUMMARY.assign(total_value=np.nan)),
    "total_value",
)
add(
    "ValueSegmenter",
    "predict on other columns",
    lambda: (
        cm.ValueSegmenter(value_col="total_value")
        .fit(SUMMARY)
        .predict(SUMMARY.drop(columns="total_value"))
    ),
    "total_value",
)
add(
    "KMeansSegmenter",
    "k_range of three",
    lambda: cm.KMeansSegmenter(k_range=(2, 3, 4), columns=["frequency"]).fit(SUMMARY),
    "k_range",
)
add(
    "KMeansSegmenter",
    "negative feature with log_transform",
    lambda: cm.KMeansSegmenter(2, columns=["frequency"]).fit(SUMMARY.assign(frequency=-1)),
    "log_transform|>= 0",
)
add(
    "KMeansSegmenter",
    "more clusters than customers",
    lambda: cm.KMeansSegmenter(50, columns=["frequency", "recency"]).fit(SUMMARY.head(5)),
    "n_clusters",
)
add(
    "explain_segments",
    "segments with missing values",
    lambda: cm.explain_segments(FEATURES, SEGMENTS.where(SEGMENTS == "low")),
    "segment|missing",
)
add(
    "explain_segments",
    "features a string",
    lambda: cm.explain_segments(FEATURES, SEGMENTS, features="tenure"),
    "features",
)
add(
    "explain_segments",
    "a single segment",
    lambda: cm.explain_segments(FEATURES, pd.Series("one", index=FEATURES.index)),
    "two segments",
)
add(
    "segment_migration",
    "after a list",
    lambda: cm.segment_migration(SEGMENTS, ["a"]),
    "after",
)
add(
    "segment_migration",
    "gone_label=None",
    lambda: cm.segment_migration(SEGMENTS, SEGMENTS, gone_label=None),
    "gone_label",
)
add(
    "segment_profile",
    "features a string",
    lambda: cm.segment_profile(FEATURES, SEGMENTS, features="tenure"),
    "features",
)
add(
    "segment_profile",
    "infinite feature",
    lambda: cm.segment_profile(FEATURES.assign(spend=np.inf), SEGMENTS),
    "spend",
)
add(
    "confidence_interval",
    "bootstrap without fit_data",
    lambda: _interval(method="bootstrap"),
    "fit_data",
)


_outcome = calls(cm.prediction_interval, BG, SUMMARY.head(5), t=30)


keyword_numbers(
    "prediction_interval",
    _outcome,
    {
        "confidence": {"extra": (("zero", 0.0), ("one", 1.0))},
        "t": {"none_ok": False, "extra": (("negative", -1.0),)},
    },
)
add("prediction_interval", "method='x'", lambda: _outcome(method="x"), "method")
add(
    "prediction_interval",
    "parameter_uncertainty='yes'",
    lambda: _outcome(parameter_uncertainty="yes"),
    "parameter_uncertainty",
)
add(
    "prediction_interval",
    "bootstrap without fit_data",
    lambda: _outcome(parameter_uncertainty=True, method="bootstrap", n_draws=2),
    "fit_data",
)
add("prediction_interval", "data list", lambda: cm.prediction_interval(BG, [1], t=3), "DataFrame")
add(
    "prediction_interval",
    "model not fitted",
    lambda: cm.prediction_interval(cm.BetaGeoModel(), SUMMARY, t=3),
    "fitted",
)
add(
    "prediction_interval",
    "a spend model",
    lambda: cm.prediction_interval(GG, SUMMARY, t=3),
    "probability_of_purchases",
)
numbers(
    "purchase_pmf",
    "t",
    lambda v: cm.purchase_pmf(BG, SUMMARY.head(5), t=v),
    none_ok=False,
    extra=(("negative", -1.0),),
)
add("purchase_pmf", "tail=0", lambda: cm.purchase_pmf(BG, SUMMARY.head(5), t=3, tail=0), "tail")
add(
    "purchase_pmf",
    "max_count too small",
    lambda: cm.purchase_pmf(BG, SUMMARY.head(50), t=300, max_count=2),
    "max_count",
)
add(
    "purchase_distribution",
    "quantiles=[1.0]",
    lambda: cm.purchase_distribution(BG, SUMMARY.head(5), t=3, quantiles=[1.0]),
    "quantiles",
)
add(
    "purchase_distribution",
    "quantiles=[]",
    lambda: cm.purchase_distribution(BG, SUMMARY.head(5), t=3, quantiles=[]),
    "quantiles",
)
for _f in (cm.probability_alive_at, cm.next_purchase_cdf):
    add(_f.__name__, "t negative", lambda f=_f: f(BG, SUMMARY.head(5), t=-1), "t")
add(
    "probability_alive_at",
    "a spend model",
    lambda: cm.probability_alive_at(GG, SUMMARY.head(5), t=1),
    "probability_alive_at",
)
add(
    "next_purchase_quantile",
    "q=1",
    lambda: cm.next_purchase_quantile(BG, SUMMARY.head(5), q=1.0),
    "q",
)
add(
    "next_purchase_quantile",
    "max_time=0",
    lambda: cm.next_purchase_quantile(BG, SUMMARY.head(5), max_time=0),
    "max_time",
)
add(
    "value_distribution",
    "spend a Series",
    lambda: cm.value_distribution(BG, SUMMARY["monetary_value"], SUMMARY.head(5), t=3),
    "GammaGammaModel",
)
add(
    "value_distribution",
    "margin=0",
    lambda: cm.value_distribution(BG, GG, SUMMARY.head(5), t=3, margin=0),
    "margin",
)
add(
    "value_distribution",
    "quantiles=[1.5]",
    lambda: cm.value_distribution(BG, GG, SUMMARY.head(5), t=3, quantiles=[1.5]),
    "quantiles",
)
add(
    "value_distribution",
    "thresholds=[-1]",
    lambda: cm.value_distribution(BG, GG, SUMMARY.head(5), t=3, thresholds=[-1]),
    "thresholds",
)
add(
    "segment_profile",
    "value_col with NaN",
    lambda: cm.segment_profile(FEATURES.assign(v=np.nan), SEGMENTS, value_col="v"),
    "v",
)
add(
    "confidence_interval",
    "quantity the model lacks",
    lambda: _interval(quantity="expected_spend"),
    "expected_spend",
)
add(
    "confidence_interval",
    "model not fitted",
    lambda: cm.confidence_interval(cm.BetaGeoModel(), SUMMARY, t=3),
    "fitted",
)
add(
    "GammaGammaModel",
    "expected_spend before fit",
    lambda: cm.GammaGammaModel().expected_spend(SUMMARY),
    "fitted",
)
add(
    "load_model",
    "empty path",
    lambda: cm.load_model(""),
    "path",
)
add(
    "load_model",
    "a newer format version",
    lambda: _load_text(json.dumps({"format": "customer_models.valuation", "format_version": 99})),
    "format_version",
)
add(
    "load_model",
    "parameters as strings",
    lambda: _load_text(
        json.dumps(
            {
                "format": "customer_models.valuation",
                "format_version": 1,
                "class": "BetaGeoModel",
                "params": {"r": "1", "alpha": 1, "a": 1, "b": 1},
            }
        )
    ),
    "numbers|malformed",
)
add(
    "BetaGeoModel",
    "save into a missing folder",
    lambda: BG.save("/nonexistent/folder/model.json"),
    "cannot write",
)
add(
    "split_customers",
    "customer_col missing",
    lambda: cm.split_customers(TX, customer_col="client"),
    "client",
)
add(
    "split_customers",
    "duplicated ids without customer_col",
    lambda: cm.split_customers(pd.concat([SUMMARY, SUMMARY])),
    "duplicated",
)
add(
    "split_customers",
    "an empty frame",
    lambda: cm.split_customers(SUMMARY.iloc[:0]),
    "empty",
)


# ---- model choice and profile likelihood ----------------------------------------------------
_SPLIT = cm.calibration_holdout_split(TX, calibration_end=TX["date"].quantile(0.5).normalize())
add("compare_models", "no candidates", lambda: cm.compare_models([], _SPLIT), "candidates")
add(
    "compare_models",
    "a candidate named by a string",
    lambda: cm.compare_models(["BetaGeoModel"], _SPLIT),
    "valuation model class or instance",
)
add(
    "compare_models",
    "a spend model as candidate",
    lambda: cm.compare_models([cm.GammaGammaModel], _SPLIT),
    "not a purchase model",
)
add(
    "compare_models",
    "a summary without holdout columns",
    lambda: cm.compare_models([cm.BetaGeoModel], SUMMARY),
    "frequency_holdout",
)
add(
    "compare_models",
    "transactions without calibration_end",
    lambda: cm.compare_models([cm.BetaGeoModel], transactions=TX),
    "calibration_end",
)
add(
    "compare_models",
    "confidence=2",
    lambda: cm.compare_models([cm.BetaGeoModel], _SPLIT, confidence=2),
    "confidence",
)
add(
    "estimate_regularity",
    "missing customer column",
    lambda: cm.estimate_regularity(TX, customer_col="nope"),
    "nope",
)
add(
    "estimate_regularity",
    "a list instead of a table",
    lambda: cm.estimate_regularity([1, 2]),
    "DataFrame",
)
_CDNOW = cm.load_cdnow_summary()
_BG_CDNOW = cm.BetaGeoModel().fit(_CDNOW)
add(
    "profile_likelihood_intervals",
    "confidence='x'",
    lambda: cm.profile_likelihood_intervals(_BG_CDNOW, _CDNOW, confidence="x"),
    "confidence",
)
add(
    "profile_likelihood_intervals",
    "an unfitted model",
    lambda: cm.profile_likelihood_intervals(cm.BetaGeoModel(), _CDNOW),
    "not fitted",
)
add(
    "profile_likelihood_intervals",
    "data the model was not fitted on",
    lambda: cm.profile_likelihood_intervals(_BG_CDNOW, _CDNOW.head(100)),
    "maximum of this data",
)
add(
    "profile_likelihood_intervals",
    "not a model",
    lambda: cm.profile_likelihood_intervals("x", _CDNOW),
    "valuation model",
)


# ---- found by fuzzing every keyword of the owned entry points with junk values ----------------
for _label, _value in [("None", None), ("float", 2.5), ("bool", True), ("list", ["frequency"])]:
    add(
        "RFMScorer",
        f"frequency_col={_label}",
        lambda v=_value: cm.RFMScorer(frequency_col=v).fit(SUMMARY),
        "frequency_col",
    )
    add(
        "RFMSegmenter",
        f"recency_col={_label}",
        lambda v=_value: cm.RFMSegmenter(recency_col=v).fit(SUMMARY),
        "recency_col",
    )
add(
    "RFMScorer",
    "monetary_col=2.5",
    lambda: cm.RFMScorer(monetary_col=2.5).fit(SUMMARY),
    "monetary_col",
)
add(
    "ValueSegmenter",
    "value_col=2.5",
    lambda: cm.ValueSegmenter(value_col=2.5).fit(SUMMARY),
    "value_col",
)
add(
    "ValueSegmenter",
    "labels=3",
    lambda: cm.ValueSegmenter(value_col="total_value", labels=3).fit(SUMMARY),
    "labels",
)
add(
    "KMeansSegmenter",
    "columns=3.0",
    lambda: cm.KMeansSegmenter(2, columns=3.0).fit(SUMMARY),
    "columns",
)
add(
    "KMeansSegmenter",
    "value_col=True",
    lambda: cm.KMeansSegmenter(2, columns=["frequency"], value_col=True).fit(SUMMARY),
    "value_col",
)
add(
    "KMeansSegmenter",
    "names=2",
    lambda: cm.KMeansSegmenter(2, columns=["frequency"], names=2).fit(SUMMARY),
    "names",
)
add(
    "band_rules",
    "labels=5",
    lambda: cm.band_rules("frequency", [1, 5], labels=5),
    "labels",
)
add(
    "explain_segments",
    "max_depth=1e300 (bounded)",
    lambda: cm.explain_segments(FEATURES, SEGMENTS, max_depth=1e300),
    "max_depth",
)
add(
    "ChurnClassifier",
    "n_repeats=1e300 (work bounded)",
    lambda: cm.ChurnClassifier(n_repeats=1e300).fit(FEATURES, LABELS),
    "n_repeats",
)
add(
    "feedback_summary",
    "by={} (unhashable)",
    lambda: _summary(by={}),
    "column name",
)
add(
    "feedback_summary",
    "scale=5 for nps",
    lambda: _summary(scale=5),
    "scale",
)
add(
    "feedback_summary",
    "scale=2.5 for ces",
    lambda: _summary(metric="ces", score_col="speed", scale=2.5),
    "scale",
)


# ---- found by fuzzing the data arguments of the methods ------------------------------------------
add("evaluate_churn", "y empty", lambda: cm.evaluate_churn([], []), "empty")
add("evaluate_churn", "y a dict", lambda: cm.evaluate_churn({}, [0.2]), "array-like")
add("evaluate_churn", "y a string", lambda: cm.evaluate_churn("churned", [0.2]), "array-like")
add(
    "PAliveChurnScorer",
    "evaluate with y empty",
    lambda: cm.PAliveChurnScorer(BG).evaluate(SUMMARY, []),
    "empty|rows",
)
add(
    "ChurnClassifier",
    "evaluate with y empty",
    lambda: _fitted_churn().evaluate(FEATURES, []),
    "empty|rows",
)
add(
    "ChurnClassifier",
    "y a scalar",
    lambda: cm.ChurnClassifier(estimator="logistic", cv=2).fit(FEATURES, 1),
    r"\by\b",
)
for _model in ["BetaGeoModel", "ParetoNBDModel"]:
    add(
        _model,
        "fit sample_weight of strings",
        lambda m=_model: getattr(cm, m)().fit(
            SUMMARY, sample_weight=np.array(["a"] * len(SUMMARY))
        ),
        "sample_weight",
    )
    add(
        _model,
        "fit sample_weight a dict",
        lambda m=_model: getattr(cm, m)().fit(SUMMARY, sample_weight={}),
        "sample_weight",
    )


# ------------------------------------------------------- added this session (issues 16-21)
_UPLIFT_X = np.random.default_rng(0).normal(size=(40, 2))
_UPLIFT_Y = np.arange(40) % 2
_UPLIFT_T = (np.arange(40) // 2) % 2
_HOLDOUT_PARAMS = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}

add(
    "make_holdout_summary",
    "unknown process",
    lambda: cm.make_holdout_summary(10, _HOLDOUT_PARAMS, process="gompertz"),
    "process",
)
add(
    "make_holdout_summary",
    "missing parameter",
    lambda: cm.make_holdout_summary(10, {"r": 1.0}, process="nbd"),
    r"missing \['alpha'\]",
)
numbers(
    "make_holdout_summary",
    "holdout",
    lambda v: cm.make_holdout_summary(10, _HOLDOUT_PARAMS, holdout=v),
)
for _cls in (cm.NegativeBinomialModel, cm.GGompertzNBDModel):
    add(
        _cls.__name__,
        "negative penalizer",
        lambda cls=_cls: cls(penalizer_coef=-1).fit(SUMMARY),
        "penalizer_coef",
    )
    add(_cls.__name__, "no T column", lambda cls=_cls: cls().fit(SUMMARY.drop(columns="T")), "'T'")
add(
    "CohortShiftedBetaGeoModel",
    "no cohort column",
    lambda: cm.CohortShiftedBetaGeoModel().fit(pd.DataFrame({"period": [0], "survivors": [9]})),
    "'cohort'",
)
add(
    "CohortShiftedBetaGeoModel",
    "unknown pooling",
    lambda: cm.CohortShiftedBetaGeoModel(pooling="all").fit(None),
    "pooling",
)
add(
    "CohortShiftedBetaGeoModel",
    "unfitted",
    lambda: cm.CohortShiftedBetaGeoModel().survival([1]),
    "not fitted",
)
add("model_to_json", "unfitted model", lambda: cm.model_to_json(cm.BetaGeoModel()), "fit")
add("model_from_json", "not JSON", lambda: cm.model_from_json("{nope"), "not valid JSON")
add("model_from_json", "None", lambda: cm.model_from_json(None), "text")
add("BetaGeoCNBDModel", "k = 0", lambda: cm.BetaGeoCNBDModel(k=0).fit(SUMMARY), "k must be")
add(
    "BetaGeoCNBDModel",
    "no log inter-purchase column",
    lambda: cm.BetaGeoCNBDModel().fit(SUMMARY),
    "log_interpurchase_sum",
)
add(
    "ModifiedBetaGeoCNBDModel",
    "k as str",
    lambda: cm.ModifiedBetaGeoCNBDModel(k="2").fit(SUMMARY),
    "k must be",
)
add(
    "BetaGeoCovariateModel",
    "missing covariate column",
    lambda: cm.BetaGeoCovariateModel(purchase_covariates=["age"]).fit(SUMMARY),
    "'age'",
)
add(
    "ModifiedBetaGeoCovariateModel",
    "negative penalizer",
    lambda: cm.ModifiedBetaGeoCovariateModel(purchase_covariates=["T"], penalizer=-1).fit(SUMMARY),
    "penalizer",
)
add(
    "GammaGammaCovariateModel",
    "missing covariate column",
    lambda: cm.GammaGammaCovariateModel(spend_covariates=["age"]).fit(SUMMARY),
    "'age'",
)
add(
    "ParetoNBDCovariateModel",
    "NaN covariate",
    lambda: cm.ParetoNBDCovariateModel(dropout_covariates=["age"]).fit(
        SUMMARY.assign(age=[float("nan")] + [30.0] * (len(SUMMARY) - 1))
    ),
    "age must be a finite number",
)
add(
    "ShiftedBetaGeoCovariateModel",
    "missing covariate column",
    lambda: cm.ShiftedBetaGeoCovariateModel(["z"]).fit(
        cm.ShiftedBetaGeoModel.cohort_to_data([1000, 631, 468, 382])
    ),
    "'z'",
)
add(
    "BetaGeoBetaBinomCovariateModel",
    "text covariate",
    lambda: cm.BetaGeoBetaBinomCovariateModel(["z"]).fit(
        cm.load_donations().head(50).assign(z="a")
    ),
    "one_hot_covariates",
)
add(
    "one_hot_covariates",
    "missing column",
    lambda: cm.one_hot_covariates(SUMMARY, ["region"]),
    "'region'",
)
add(
    "log_interpurchase_sum",
    "missing column",
    lambda: cm.log_interpurchase_sum(TX, customer_col="id"),
    "'id'",
)
add(
    "Scorecard",
    "criteria not a list",
    lambda: cm.Scorecard(criteria="x").score(SUMMARY),
    "criteria",
)
add(
    "HealthScore",
    "negative weight",
    lambda: cm.HealthScore(weights={"alive": -1}).score(SUMMARY),
    "weights",
)
add(
    "health_components",
    "model not a model",
    lambda: cm.health_components(SUMMARY, model="x"),
    "model",
)
add(
    "snapshot_alerts",
    "rules not a list",
    lambda: cm.snapshot_alerts(SUMMARY, SUMMARY, rules="x"),
    "rules",
)
add(
    "AliveDrop",
    "missing column",
    lambda: cm.snapshot_alerts(SUMMARY, SUMMARY, rules=[cm.AliveDrop(column="nope")]),
    "'nope'",
)
add(
    "GradeDrop",
    "missing column",
    lambda: cm.snapshot_alerts(SUMMARY, SUMMARY, rules=[cm.GradeDrop(column="nope")]),
    "'nope'",
)
add(
    "PurchasesBelowExpected",
    "model not a model",
    lambda: cm.snapshot_alerts(SUMMARY, SUMMARY, rules=[cm.PurchasesBelowExpected(model="x")]),
    "fitted purchase model",
)
add(
    "TierAtRisk",
    "negative days",
    lambda: cm.snapshot_alerts(SUMMARY, SUMMARY, rules=[cm.TierAtRisk(days=-1)]),
    "days",
)
add(
    "TwoModelUplift",
    "no treatment",
    lambda: cm.TwoModelUplift().fit(_UPLIFT_X, _UPLIFT_Y, treatment=None),
    "treatment=",
)
add(
    "XLearnerUplift",
    "propensity > 1",
    lambda: cm.XLearnerUplift(propensity=2).fit(_UPLIFT_X, _UPLIFT_Y, treatment=_UPLIFT_T),
    "propensity",
)
add(
    "qini_curve",
    "NaN scores",
    lambda: cm.qini_curve(_UPLIFT_Y, _UPLIFT_T, np.full(40, np.nan)),
    "finite",
)
add(
    "uplift_curve",
    "short scores",
    lambda: cm.uplift_curve(_UPLIFT_Y, _UPLIFT_T, np.zeros(3)),
    "same length",
)
add(
    "auuc", "unknown curve", lambda: cm.auuc(_UPLIFT_Y, _UPLIFT_T, _UPLIFT_Y, curve="gain"), "curve"
)
add("incremental_value", "NaN uplift", lambda: cm.incremental_value([np.nan], [1.0]), "finite")
numbers("allocate_budget", "budget", lambda v: cm.allocate_budget([1.0, 2.0], 1.0, v))


def _param(case: Case) -> Any:
    name = f"{case.entry}-{case.id}"
    owner = OWNED_ELSEWHERE.get(name, case.owner)
    marks = []
    if owner is not None:
        marks.append(pytest.mark.xfail(strict=True, reason=f"owned elsewhere: {owner}"))
    return pytest.param(case, id=name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input_raises_a_customer_models_error(case: Case) -> None:
    with pytest.raises(CustomerModelsError, match=case.match):
        case.call()


# ---------------------------------------------------------------------------- NaN / inf
@dataclass(frozen=True)
class Finite:
    entry: str
    id: str
    call: Callable[[], object]
    owner: str | None = None


def _numbers_of(result: object) -> np.ndarray:
    """Every number in a result (Series, DataFrame, dataclass, float, HoldoutEvaluation...)."""
    if isinstance(result, pd.DataFrame):
        numeric = result.select_dtypes("number")
        return numeric.to_numpy(dtype=np.float64).ravel()
    if isinstance(result, pd.Series):
        if pd.api.types.is_numeric_dtype(result):
            return result.to_numpy(dtype=np.float64)
        return np.array([])
    if isinstance(result, (int, float, np.number)):
        return np.array([float(result)])
    if isinstance(result, tuple):
        return np.concatenate([_numbers_of(r) for r in result] or [np.array([])])
    if hasattr(result, "to_dict"):
        values = [v for v in result.to_dict().values() if isinstance(v, (int, float, np.number))]
        return np.asarray(values, dtype=np.float64)
    if hasattr(result, "metrics"):
        return _numbers_of(result.metrics)
    return np.asarray(result, dtype=np.float64).ravel()


FINITE: list[Finite] = [
    Finite(
        "evaluate_holdout",
        "a holdout where nobody buys",
        lambda: cm.evaluate_holdout(BG, _HOLDOUT.assign(frequency_holdout=0)),
    ),
    Finite(
        "key_drivers",
        "uncorrelated drivers (R² = 0 exactly)",
        lambda: _drivers(
            data=pd.DataFrame(
                {
                    "score": [2, 0, 0, 2, 2, 0, 0, 2],
                    "x": [1, 1, -1, -1, 1, 1, -1, -1],
                    "z": [1, -1, 1, -1, 1, -1, 1, -1],
                }
            ),
            drivers=["x", "z"],
            n_draws=50,
        ),
    ),
    Finite(
        "key_drivers",
        "a constant target",
        lambda: _drivers(
            data=pd.DataFrame({"score": [5, 5, 5, 5, 5, 5], "x": [1, 2, 3, 4, 5, 6]}),
            drivers=["x"],
            n_draws=10,
        ),
    ),
    Finite(
        "ValueSegmenter",
        "an all-zero value",
        lambda: (
            cm.ValueSegmenter(value_col="v")
            .fit(pd.DataFrame({"v": [0.0, 0.0, 0.0]}))
            .assign(pd.DataFrame({"v": [0.0, 0.0, 0.0]}))
        ),
    ),
    Finite(
        "segment_profile",
        "a NaN feature",
        lambda: cm.segment_profile(
            FEATURES.assign(spend=np.where(np.arange(40) % 3 == 0, np.nan, 1.0)), SEGMENTS
        ),
    ),
    Finite(
        "segment_profile",
        "an all-zero value_col",
        lambda: cm.segment_profile(
            FEATURES.assign(v=0.0), SEGMENTS, features=["tenure"], value_col="v"
        ),
    ),
    Finite(
        "feedback_summary",
        "a group with zero weights",
        lambda: _summary(
            data=SURVEY.assign(w=np.where(SURVEY["region"] == "a", 0.0, 1.0)),
            by="region",
            weight_col="w",
        ),
    ),
    Finite(
        "BetaGeoModel",
        "from_params at 1e100",
        lambda: cm.BetaGeoModel.from_params(
            r=1e100, alpha=1e100, a=1e100, b=1e100
        ).expected_purchases(SUMMARY, t=30),
    ),
    Finite(
        "retention_targets",
        "zero value everywhere",
        lambda: cm.retention_targets(_P, _V * 0),
    ),
    Finite("nps", "a single answer", lambda: cm.nps([10])),
    Finite("csat", "a single answer", lambda: cm.csat([5])),
    Finite("evaluate_churn", "two customers", lambda: cm.evaluate_churn([0, 1], [0.3, 0.6])),
]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=f"{c.entry}-{c.id}",
            marks=[pytest.mark.xfail(strict=True, reason=f"owned elsewhere: {c.owner}")]
            if c.owner
            else [],
        )
        for c in FINITE
    ],
)
def test_valid_input_never_yields_nan_or_inf(case: Finite) -> None:
    """Degenerate but valid input gives finite numbers or a clear refusal, never NaN/inf."""
    try:
        result = case.call()
    except CustomerModelsError:
        return  # a refusal that says why is fine
    values = _numbers_of(result)
    assert np.all(np.isfinite(values)), f"{case.entry} returned non-finite numbers: {values}"


# ---------------------------------------------------------------------------- coverage
#: Public names not exercised by the battery, with the reason.
EXEMPT: dict[str, str] = {
    "__version__": "a string constant",
    "ConvergenceWarning": "a warning class",
    "CustomerModelsError": "the exception the battery expects",
    "DataValidationError": "an exception class",
    "MissingColumnError": "an exception class",
    "ModelFileError": "an exception class",
    "NotFittedError": "an exception class",
    "ParameterError": "an exception class",
    "CESResult": "a result container built by ces()",
    "CSATResult": "a result container built by csat()",
    "FeedbackResult": "the base result container of nps/csat/ces",
    "NPSResult": "a result container built by nps()",
    "NPSTestResult": "a result container built by nps_test()",
    "ChurnEvaluation": "a result container built by evaluate_churn()",
    "HoldoutEvaluation": "a result container built by evaluate_holdout()",
    "ModelComparison": "a result container built by compare_models()",
    "ConvergenceReport": "a result container built by fit()",
    "AlertReport": "a result container built by snapshot_alerts()",
    "BudgetPlan": "a result container built by allocate_budget()",
    "SegmentExplanation": "a result container built by explain_segments() (predict is covered)",
    "load_cdnow_summary": "a dataset loader without arguments",
    "load_donations": "a dataset loader without arguments",
}


def test_every_public_name_is_covered() -> None:
    covered = {c.entry for c in CASES} | {c.entry for c in FINITE}
    unknown = (covered | set(EXEMPT)) - set(cm.__all__)
    assert not unknown, f"battery entries that are not public names: {sorted(unknown)}"
    missing = set(cm.__all__) - covered - set(EXEMPT)
    assert not missing, f"public names neither in the battery nor exempt: {sorted(missing)}"
    both = covered & set(EXEMPT)
    assert not both, f"exempt names that the battery covers (drop the exemption): {sorted(both)}"


def test_the_battery_is_broad() -> None:
    assert len(CASES) >= 300
    per_entry = pd.Series([c.entry for c in CASES]).value_counts()
    assert per_entry.min() >= 1


# ---------------------------------------------------------------------------- plotting
def _plot(name: str, *args: Any, **kwargs: Any) -> object:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from customer_models import plotting

    try:
        return getattr(plotting, name)(*args, **kwargs)
    finally:
        plt.close("all")


PLOT_CASES: list[Case] = [
    Case(
        "plot_frequency_recency_matrix",
        "quantity='x'",
        lambda: _plot("plot_frequency_recency_matrix", BG, T=30, max_frequency=3, quantity="x"),
        "quantity",
    ),
    Case(
        "plot_frequency_recency_matrix",
        "T='30'",
        lambda: _plot("plot_frequency_recency_matrix", BG, T="30", max_frequency=3),
        r"\bT\b",
    ),
    Case(
        "plot_frequency_recency_matrix",
        "t=None",
        lambda: _plot("plot_frequency_recency_matrix", BG, T=30, max_frequency=3, t=None),
        r"\bt\b",
    ),
    Case(
        "plot_frequency_recency_matrix",
        "n_recency='a'",
        lambda: _plot("plot_frequency_recency_matrix", BG, T=30, max_frequency=3, n_recency="a"),
        "n_recency",
    ),
    Case(
        "plot_frequency_recency_matrix",
        "a 10**9-cell grid (work bounded)",
        lambda: _plot(
            "plot_frequency_recency_matrix", BG, T=30, max_frequency=10**5, n_recency=10**4
        ),
        "cells",
    ),
    Case(
        "plot_frequency_recency_matrix",
        "neither data nor T",
        lambda: _plot("plot_frequency_recency_matrix", BG, max_frequency=3),
        r"\bT\b",
    ),
    Case(
        "plot_frequency_recency_matrix",
        "data without T",
        lambda: _plot("plot_frequency_recency_matrix", BG, SUMMARY.drop(columns="T")),
        r"\bT\b",
    ),
    Case(
        "plot_frequency_recency_matrix",
        "data a list",
        lambda: _plot("plot_frequency_recency_matrix", BG, [1, 2]),
        "DataFrame",
    ),
    Case(
        "plot_clv_distribution",
        "bins='a'",
        lambda: _plot("plot_clv_distribution", [1.0, 2.0], bins="a"),
        "bins",
    ),
    Case(
        "plot_clv_distribution",
        "bins=10**9 (work bounded)",
        lambda: _plot("plot_clv_distribution", [1.0, 2.0], bins=10**9),
        "bins",
    ),
    Case(
        "plot_clv_distribution",
        "log='yes'",
        lambda: _plot("plot_clv_distribution", [1.0, 2.0], log="yes"),
        r"\blog\b",
    ),
    Case(
        "plot_clv_distribution",
        "values with NaN",
        lambda: _plot("plot_clv_distribution", [1.0, math.nan]),
        "clv",
    ),
    Case("plot_clv_distribution", "empty", lambda: _plot("plot_clv_distribution", []), "empty"),
    Case(
        "plot_clv_distribution",
        "strings",
        lambda: _plot("plot_clv_distribution", ["a", "b"]),
        "clv",
    ),
    Case(
        "plot_clv_distribution",
        "a frame without clv",
        lambda: _plot("plot_clv_distribution", pd.DataFrame({"value": [1.0]})),
        "clv",
    ),
    Case(
        "plot_survival",
        "n_periods='a'",
        lambda: _plot("plot_survival", SBG, n_periods="a"),
        "n_periods",
    ),
    Case(
        "plot_survival",
        "n_periods=10**9 (work bounded)",
        lambda: _plot("plot_survival", SBG, n_periods=10**9),
        "n_periods",
    ),
    Case(
        "plot_survival", "data of strings", lambda: _plot("plot_survival", SBG, ["a", "b"]), "data"
    ),
    Case(
        "plot_tracking",
        "calibration_end unparseable",
        lambda: _plot("plot_tracking", BG_DAYS, SUMMARY, TX, calibration_end="mid 2025"),
        "calibration_end",
    ),
    Case(
        "plot_tracking",
        "cumulative='yes'",
        lambda: _plot("plot_tracking", BG_DAYS, SUMMARY, TX, cumulative="yes"),
        "cumulative",
    ),
    Case(
        "plot_frequency_fit",
        "max_frequency='a'",
        lambda: _plot("plot_frequency_fit", BG, SUMMARY, max_frequency="a"),
        "max_frequency",
    ),
    Case(
        "plot_frequency_fit",
        "model without a pmf",
        lambda: _plot("plot_frequency_fit", object(), SUMMARY),
        "P\\(X",
    ),
    Case(
        "plot_calibration_purchases_vs_holdout",
        "max_frequency=None",
        lambda: _plot("plot_calibration_purchases_vs_holdout", BG, _HOLDOUT, max_frequency=None),
        "max_frequency",
    ),
    Case(
        "plot_calibration_purchases_vs_holdout",
        "summary without holdout columns",
        lambda: _plot("plot_calibration_purchases_vs_holdout", BG, SUMMARY),
        "holdout",
    ),
    Case(
        "plot_model_comparison",
        "not a comparison",
        lambda: _plot("plot_model_comparison", "x"),
        "compare_models",
    ),
    Case(
        "plot_regularity",
        "missing customer column",
        lambda: _plot("plot_regularity", TX, customer_col="id"),
        "'id'",
    ),
    Case("plot_regularity", "bins = 0", lambda: _plot("plot_regularity", TX, bins=0), "bins"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.entry}-{c.id}") for c in PLOT_CASES])
def test_plotting_bad_input_raises_a_customer_models_error(case: Case) -> None:
    with pytest.raises(CustomerModelsError, match=case.match):
        case.call()


def test_every_plot_function_is_covered() -> None:
    from customer_models import plotting

    assert {c.entry for c in PLOT_CASES} == set(plotting.__all__)


# ---------------------------------------------------------------------------- no mutation
NO_MUTATION: list[tuple[str, Callable[[pd.DataFrame], object], Callable[[], pd.DataFrame]]] = [
    (
        "segment_profile",
        lambda d: cm.segment_profile(d, SEGMENTS, value_col="tenure"),
        lambda: FEATURES.assign(spend=np.where(np.arange(40) % 5 == 0, np.nan, 2.0)),
    ),
    (
        "feedback_summary",
        lambda d: _summary(data=d, by="region", weight_col="w"),
        SURVEY.copy,
    ),
    (
        "key_drivers",
        lambda d: _drivers(data=d, n_draws=10),
        SURVEY.copy,
    ),
    ("evaluate_holdout", lambda d: cm.evaluate_holdout(BG, d), _HOLDOUT.copy),
    (
        "split_customers",
        lambda d: cm.split_customers(d, stratify="frequency", random_state=0),
        SUMMARY.copy,
    ),
    ("RFMScorer", lambda d: cm.RFMScorer(n_bins=3).fit(d).transform(d), SUMMARY.copy),
    (
        "ValueSegmenter",
        lambda d: cm.ValueSegmenter(value_col="total_value").fit_assign(d),
        SUMMARY.copy,
    ),
    (
        "KMeansSegmenter",
        lambda d: cm.KMeansSegmenter(
            2, columns=["frequency", "recency"], random_state=0
        ).fit_assign(d),
        SUMMARY.copy,
    ),
    (
        "ChurnClassifier",
        lambda d: (
            cm.ChurnClassifier(estimator="logistic", cv=2, n_repeats=1)
            .fit(d, LABELS)
            .churn_probability(d)
        ),
        FEATURES.copy,
    ),
    ("PAliveChurnScorer", lambda d: cm.PAliveChurnScorer(BG).churn_probability(d), SUMMARY.copy),
    (
        "retention_targets",
        lambda d: cm.retention_targets(d["p"], d["v"], budget=2),
        lambda: pd.DataFrame({"p": [0.9, 0.1, 0.5], "v": [10.0, 20.0, 5.0]}, index=list("abc")),
    ),
]


@pytest.mark.parametrize(("name", "call", "make"), NO_MUTATION, ids=[n for n, _, _ in NO_MUTATION])
def test_inputs_are_never_mutated(
    name: str, call: Callable[[pd.DataFrame], object], make: Callable[[], pd.DataFrame]
) -> None:
    data = make()
    before = data.copy(deep=True)
    attrs = dict(data.attrs)
    call(data)
    pd.testing.assert_frame_equal(data, before)
    assert data.attrs == attrs
