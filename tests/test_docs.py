"""The docs site: a complete API reference, guide links, no leaked reST, no placeholder links.

The rendered site itself is checked in a browser by docs/check_site.py (run by .ci/run).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

import customer_models as cm

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
AUTODOC = re.compile(r"^::: (customer_models(?:\.[\w]+)*)\s*$", re.MULTILINE)


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _table_row(*cells: object) -> str:
    """One row of a markdown table, as the docs write it."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _assert_lifecycle_shows(marker: str, texts: list[str]) -> None:
    """Assert that docs/lifecycle.md shows every text between ``<!-- marker -->`` and the end."""
    page = (DOCS / "lifecycle.md").read_text(encoding="utf-8")
    block = page.split(f"<!-- {marker} -->", 1)[1].split("<!-- end -->", 1)[0]
    for text in texts:
        assert text in block, f"docs/lifecycle.md ({marker}) should show {text!r}"


def _reference_entries() -> dict[str, str]:
    """``{dotted name: reference page}`` for every autodoc block in docs/reference/."""
    entries: dict[str, str] = {}
    for page in sorted(REFERENCE.glob("*.md")):
        for name in AUTODOC.findall(page.read_text(encoding="utf-8")):
            assert name not in entries, f"{name} documented twice: {entries[name]}, {page.name}"
            entries[name] = page.name
    return entries


def _nav_pages(nav) -> list[str]:
    pages: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += _nav_pages(value)
        else:
            pages.append(value)
    return pages


def _mkdocs_config() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_every_public_name_has_a_reference_entry():
    entries = _reference_entries()
    public = [name for name in cm.__all__ if not name.startswith("__")]
    missing = [name for name in public if f"customer_models.{name}" not in entries]
    assert not missing, (
        f"names in customer_models.__all__ without an entry in docs/reference/: {missing}"
    )


def test_the_optional_modules_have_reference_pages():
    entries = _reference_entries()
    assert entries.get("customer_models.plotting") == "plotting.md"
    assert entries.get("customer_models.dask") == "dask.md"
    assert entries.get("customer_models.sql") == "sql.md"
    assert entries.get("customer_models.spark") == "spark.md"


def test_every_reference_entry_names_a_public_object():
    for name in _reference_entries():
        parts = name.split(".")[1:]
        obj = cm
        if parts and parts[0] in ("plotting", "dask", "sql", "spark"):
            continue  # optional extras, imported on their own
        for part in parts:
            assert hasattr(obj, part), f"docs/reference names {name}, which does not exist"
            obj = getattr(obj, part)


def test_every_reference_page_is_in_the_nav():
    nav = _nav_pages(_mkdocs_config()["nav"])
    for page in REFERENCE.glob("*.md"):
        assert f"reference/{page.name}" in nav, f"reference/{page.name} is not in mkdocs.yml nav"


def test_api_overview_links_every_guide_page():
    config = _mkdocs_config()
    user_guide = next(item["User guide"] for item in config["nav"] if "User guide" in item)
    guides = [*_nav_pages(user_guide), "getting-started.md"]
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([\w./-]+\.md)\)", api))
    assert not [g for g in guides if g not in linked], "docs/api.md misses guide links"
    for target in linked:
        assert (DOCS / target).is_file(), f"docs/api.md links {target}, which does not exist"


def test_api_overview_has_the_vocabulary_table():
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    for word in ["`frequency`", "`recency`", "`T`", "`monetary_value`", "`value_col`",
                 "`monetary_col`", "`observation_end`", "`as_of`", "`confidence=0.95`",
                 "`sample_weight`"]:  # fmt: skip
        assert f"| {word}" in api, word


@pytest.mark.parametrize(
    "path",
    ["mkdocs.yml", "pyproject.toml", "README.md", *sorted(p.name for p in DOCS.glob("*.md"))],
)
def test_no_placeholder_links(path):
    file = ROOT / path if (ROOT / path).exists() else DOCS / path
    assert "example.invalid" not in file.read_text(encoding="utf-8")


# --- the reST -> Markdown docstring extension (docs/griffe_rst.py) ----------------------------


@pytest.fixture(scope="module")
def griffe_rst():
    pytest.importorskip("griffe")
    return _module("_docs_griffe_rst", DOCS / "griffe_rst.py")


@pytest.mark.parametrize(
    ("rst", "markdown"),
    [
        (":func:`rfm_summary`", "[`rfm_summary`][customer_models.rfm_summary]"),
        (
            ":class:`~customer_models.BetaGeoModel`",
            "[`BetaGeoModel`][customer_models.BetaGeoModel]",
        ),
        (":meth:`BetaGeoModel.fit`", "[`BetaGeoModel.fit`][customer_models.BetaGeoModel.fit]"),
        (":func:`the summary <rfm_summary>`", "[`the summary`][customer_models.rfm_summary]"),
        (":mod:`customer_models.valuation._optimize`", "`customer_models.valuation._optimize`"),
        (":data:`DEFAULT_RFM_SEGMENTS`", "`DEFAULT_RFM_SEGMENTS`"),
        (":func:`numpy.log1p`", "`numpy.log1p`"),
        (":math:`p_P`", "$p_P$"),
        (":doc:`the summary guide <summary>`", "the summary guide"),
        ("Everything is importable from here::", "Everything is importable from here:"),
    ],
)
def test_rst_roles_become_markdown(griffe_rst, rst, markdown):
    assert griffe_rst.rst_to_markdown(rst) == markdown


def test_math_directive_becomes_a_display_block(griffe_rst):
    rst = "Likelihood:\n\n.. math::\n\n    L = \\frac{a}{b}\n        + c\n\nafter"
    assert griffe_rst.rst_to_markdown(rst) == (
        "Likelihood:\n\n$$\nL = \\frac{a}{b}\n+ c\n$$\n\nafter"
    )


def test_no_docstring_keeps_rst_markup_after_the_extension(griffe_rst):
    griffe = pytest.importorskip("griffe")
    package = griffe.load(
        "customer_models",
        search_paths=[str(ROOT / "src")],
        extensions=griffe.load_extensions(griffe_rst.RstRoles),
        resolve_aliases=False,
    )
    leftovers = []

    def walk(obj):
        if obj.is_alias:
            return
        if obj.docstring is not None:
            for match in re.finditer(r":(?:func|class|meth|attr|data|mod|exc|obj|math|doc):`|"
                                     r"\.\. math::", obj.docstring.value):  # fmt: skip
                leftovers.append(f"{obj.path}: {match.group(0)}")
        for member in obj.members.values():
            walk(member)

    walk(package)
    assert not leftovers, leftovers[:10]


# --- the mkdocs hook (docs/hooks.py) ----------------------------------------------------------


def test_guide_autodoc_blocks_become_reference_links():
    pytest.importorskip("mkdocs")
    hooks = _module("_docs_hooks", DOCS / "hooks.py")

    class _File:
        src_uri = "summary.md"

    class _Page:
        file = _File()

    markdown = (
        "## API\n\n::: customer_models.rfm_summary\n\n::: customer_models.exceptions\n"
        "    options:\n      show_root_heading: false\n\nEnd.\n"
    )
    out = hooks.on_page_markdown(markdown, page=_Page())
    assert ":::" not in out
    assert "[`rfm_summary`][customer_models.rfm_summary]" in out
    assert "[`exceptions`][customer_models.exceptions]" in out
    assert out.endswith("End.\n")
    _File.src_uri = "reference/summary.md"
    assert hooks.on_page_markdown(markdown, page=_Page()) == markdown


# --- migration guides (docs/migrating.md) -----------------------------------------------------


def test_from_lifetimes_recipe_computes_the_same_numbers_both_ways(capsys):
    pytest.importorskip("lifetimes")
    recipe = _module("_docs_from_lifetimes", DOCS / "recipes" / "from_lifetimes.py")
    table = recipe.compare()
    assert table["ok"].all(), table
    assert set(table.index) == set(recipe.TOLERANCE)
    guide = (DOCS / "migrating.md").read_text(encoding="utf-8")
    for quantity in recipe.TOLERANCE:
        assert quantity in guide, f"docs/migrating.md does not show the recipe row {quantity!r}"


@pytest.mark.parametrize(
    ("frequency", "recency", "expected"),
    # pymc-marketing tests/clv/models/test_beta_geo.py::test_numerically_stable_logp
    # (a=0.80, b=2.50, r=0.25, alpha=4.00, T=40), quoted in docs/migrating.md
    [(0, 0, -0.59947382), (200, 38, 100.7957)],
)
def test_bgnbd_log_likelihood_matches_pinned_pymc_marketing_values(frequency, recency, expected):
    import pandas as pd

    model = cm.BetaGeoModel.from_params(a=0.80, b=2.50, r=0.25, alpha=4.00)
    data = pd.DataFrame({"frequency": [frequency], "recency": [recency], "T": [40]})
    assert model.log_likelihood(data) == pytest.approx(expected, abs=5e-5)
    guide = (DOCS / "migrating.md").read_text(encoding="utf-8")
    assert str(expected).replace("-", "−") in guide


# --- figures (docs/make_figures.py) -----------------------------------------------------------


def _png_dpi(path: Path) -> float:
    """Horizontal resolution from the PNG pHYs chunk (0 when absent)."""
    import struct

    data = path.read_bytes()
    at = data.find(b"pHYs")
    if at < 0:
        return 0.0
    per_unit, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    return per_unit * 0.0254 if unit == 1 else 0.0


@pytest.mark.parametrize("png", sorted((DOCS / "img").glob("*.png")), ids=lambda p: p.stem)
def test_docs_figures_are_at_least_150_dpi(png):
    assert _png_dpi(png) >= 150 - 0.5, f"{png.name}: regenerate with python docs/make_figures.py"


def test_every_docs_figure_is_used_and_made_by_a_script():
    pages = "".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    scripts = "".join(p.read_text(encoding="utf-8") for p in (DOCS / "img").glob("make_*.py"))
    for png in (DOCS / "img").glob("*.png"):
        assert f"img/{png.name}" in pages, f"{png.name} is not shown on any page"
        assert png.stem in scripts, f"{png.name} is made by no docs/img/make_*_plots.py"


# --- claims in docs/lifecycle.md, computed --------------------------------------------------

STAGE_ORDER = ["prospect", "new", "repeat", "loyal", "at_risk", "lapsed"]


def _stage_rows(summary, classifier) -> list[str]:
    import pandas as pd

    stages = classifier.fit(summary).assign(summary)
    silence = (summary["T"] - summary["recency"]).groupby(stages, observed=False).median()
    counts = stages.value_counts(sort=False)
    rows = []
    for stage in STAGE_ORDER:
        median = "–" if pd.isna(silence[stage]) else f"{silence[stage]:,.0f}"
        rows.append(_table_row(f"`{stage}`", f"{counts[stage]:,}", median))
    return rows


@pytest.mark.parametrize("end", ["1997-12-31", "1998-06-30"])
@pytest.mark.parametrize("mode", ["adaptive", "absolute"])
def test_lifecycle_stage_table_on_cdnow_master(mode, end):
    tx = cm.load_cdnow_transactions()
    summary = cm.rfm_summary(tx, observation_end=end)
    rows = _stage_rows(summary, cm.LifecycleStageClassifier(mode))
    _assert_lifecycle_shows(f"stages {mode} {end}", rows)


def _active_poisson_customers(n=100_000, seed=0, end=365.0):
    """Customers who never leave: Poisson purchases, mean gap ~30 days, joined in [0, 180).

    Returns the summary and each customer's time from first to second purchase (after the
    end of the data for one-time buyers: the rest of an exponential wait, memoryless).
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 1 / 60, size=n)
    birth = rng.uniform(0, 180, size=n)
    T = end - birth
    repeats = rng.poisson(rate * T)
    k = np.maximum(repeats, 1)
    # k uniform purchase times on (0, T]: the last is T * U ** (1 / k); given it, the first is
    # the minimum of the other k - 1 uniforms on (0, last)
    last = np.where(repeats > 0, T * rng.uniform(size=n) ** (1 / k), 0.0)
    others = np.maximum(k - 1, 1)
    first = np.where(k > 1, last * (1 - rng.uniform(size=n) ** (1 / others)), last)
    first = np.where(repeats > 0, first, T + rng.exponential(1 / rate))
    summary = pd.DataFrame({"frequency": repeats.astype(float), "recency": last, "T": T})
    return cm.with_time_unit(summary, "D"), first


def _gamma_prior_flags(summary, a0, b0, p):
    """The posterior-predictive rule with a Gamma(a0, b0) rate prior, the alternative design."""
    import numpy as np

    x, t = summary["frequency"].to_numpy(), summary["recency"].to_numpy()
    threshold = (b0 + t) * np.expm1(-np.log(p) / (a0 + x))
    return summary["T"].to_numpy() - t > threshold


def _previous_rule_flags(summary):
    """The adaptive rule before issue #15: at risk after 3 mean gaps ``recency / frequency``."""
    import numpy as np

    x, t = summary["frequency"].to_numpy(), summary["recency"].to_numpy()
    return summary["T"].to_numpy() - t > 3.0 * t / np.maximum(x, 1)  # one-time rows unused


def test_adaptive_false_alarm_rates_on_simulated_active_customers():
    import numpy as np
    import pandas as pd

    summary, first_return = _active_poisson_customers()
    clf = cm.LifecycleStageClassifier("adaptive").fit(summary)
    stages = clf.assign(summary)
    repeat = summary["frequency"] > 0
    groups = pd.cut(
        summary["frequency"], [0, 2, 5, 10, np.inf], labels=["1–2", "3–5", "6–10", "11+"]
    )
    frame = pd.DataFrame(
        {
            "group": groups,
            "at_risk": stages.isin(["at_risk", "lapsed"]),
            "lapsed": stages.eq("lapsed"),
            "previous": _previous_rule_flags(summary),
            "prior": _gamma_prior_flags(summary, 2.0, 60.0, 0.05),  # the true prior
        }
    )[repeat]
    columns = ["at_risk", "lapsed", "previous", "prior"]
    rates = frame.groupby("group", observed=True)[columns].mean()
    rates.loc["all repeat buyers"] = frame[columns].mean()
    lines = [
        _table_row(group, *(f"{row[c]:.1%}" for c in columns)) for group, row in rates.iterrows()
    ]
    _assert_lifecycle_shows("false alarms", lines)
    # one-time buyers: the windows against every first return, also those after the data ends
    one_time = ~repeat
    later = [(first_return > w).mean() for w in (clf.at_risk_threshold_, clf.lapsed_threshold_)]
    flagged = stages[one_time].isin(["at_risk", "lapsed"]).mean()
    claims = [
        f"{clf.at_risk_threshold_:.0f} and {clf.lapsed_threshold_:.0f} days",
        f"{later[0]:.1%} of all first returns",
        f"{later[1]:.1%} for the lapsed window",
        f"{one_time.sum():,} customers",
        f"{flagged:.0%} of them",
    ]
    _assert_lifecycle_shows("one-time false alarms", claims)


@pytest.mark.parametrize(
    ("end", "windows", "actual"),
    [("1997-12-31", (266, 314), (269, 315)), ("1998-06-30", (379, 465), (384, 465))],
)
def test_lifecycle_repurchase_windows_on_cdnow_master(end, windows, actual):
    import numpy as np
    from _purchase_gaps import first_to_second_purchase_days

    tx = cm.load_cdnow_transactions()
    summary = cm.rfm_summary(tx, observation_end=end)
    clf = cm.LifecycleStageClassifier("adaptive").fit(summary)
    assert (round(clf.at_risk_threshold_), round(clf.lapsed_threshold_)) == windows
    gaps = first_to_second_purchase_days(tx, end)
    assert tuple(np.quantile(gaps, [0.95, 0.99]).round().astype(int)) == actual
    stages = clf.assign(summary)
    assert (summary.loc[stages == "new", "frequency"] == 0).all()  # the "new" are one-timers
    page = (DOCS / "lifecycle.md").read_text(encoding="utf-8")
    line = f"| {end} | {windows[0]} | {windows[1]} | {actual[0]} | {actual[1]} |"
    assert line in page, f"docs/lifecycle.md should show {line}"


def test_lifecycle_repeat_buyer_thresholds_on_cdnow_master():
    import numpy as np
    import pandas as pd

    summary = cm.rfm_summary(cm.load_cdnow_transactions(), observation_end="1997-12-31")
    explained = cm.LifecycleStageClassifier("adaptive").fit(summary).explain(summary)
    repeat = explained[summary["frequency"] >= 1]
    groups = pd.cut(
        summary.loc[repeat.index, "frequency"],
        [0, 1, 3, 9, np.inf],
        labels=["1", "2–3", "4–9", "10+"],
    )
    table = repeat.groupby(groups, observed=True).agg(
        customers=("stage", "size"),
        gap=("own_gap", "median"),
        at_risk=("at_risk_threshold", "median"),
        lapsed=("lapsed_threshold", "median"),
    )
    from customer_models.lifecycle._adaptive import repeat_silence_threshold

    one = np.ones(1)
    assert repeat_silence_threshold(one, one, 0.05) == pytest.approx(19.0)  # "19 and 99"
    assert repeat_silence_threshold(one, one, 0.01) == pytest.approx(99.0)
    page = (DOCS / "lifecycle.md").read_text(encoding="utf-8")
    in_repeat = explained["stage"].eq("repeat")
    single = (summary.loc[in_repeat, "frequency"] == 1).mean()
    assert f"{single:.0%} of them customers with one repeat purchase" in page
    one_time = explained[summary["frequency"] == 0]
    counts = one_time["stage"].value_counts()
    tenure = summary.loc[one_time.index, "T"]
    for claim in [
        f"{len(one_time):,} one-time buyers",
        f"{counts['at_risk']:,} at risk and {counts['lapsed']:,} lapsed",
        f"{tenure.min():.0f} to {tenure.max():.0f} days before the end of the year",
    ]:
        assert claim in page, f"docs/lifecycle.md should say {claim!r}"
    days = ("gap", "at_risk", "lapsed")
    lines = [
        _table_row(group, f"{int(row['customers']):,}", *(f"{row[c]:,.0f}" for c in days))
        for group, row in table.iterrows()
    ]
    _assert_lifecycle_shows("repeat thresholds", lines)
