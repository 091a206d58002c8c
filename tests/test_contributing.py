"""The worked example of docs/contributing.md: the toy NBD model of tests/_toy_model.py.

The page includes the model file and the contract list of tests/test_common.py through the
snippets syntax, so page and tests show the same code; the contract itself runs over the toy
in tests/test_common.py. Here the toy is checked the way a new model is: against its published
fit, against data simulated from its own generative process (parameters within their standard
errors, the derived numeric Hessian against the analytic one, predictions against simulated
futures and scipy's negative binomial), through a file, and by ``customer_lifetime_value``
against the closed forms. The checks are those of the package's own NBD (tests/_nbd_checks.py,
run by tests/valuation/test_nbd.py): the toy is the same model.
"""

from __future__ import annotations

import re
from pathlib import Path

import _nbd_checks as nbd
import numpy as np
import pytest
from _toy_model import NBDModel

from customer_models import load_cdnow_summary
from customer_models.valuation._derivatives import CentralDifferenceGradient
from customer_models.valuation._registry import MODEL_CLASSES

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "contributing.md"
N_SIMULATED = 20_000
HESSIAN_RTOL = 1e-4  # the page says "to 1e-4"


def _snippet(path: Path, name: str) -> str:
    text = path.read_text(encoding="utf-8")
    return text.split(f"# --8<-- [start:{name}]\n", 1)[1].split(f"# --8<-- [end:{name}]", 1)[0]


@pytest.fixture(scope="module")
def simulated():
    data, _ = nbd.simulate(N_SIMULATED, seed=1)
    return data, NBDModel().fit(data)


def test_the_page_includes_the_model_file_and_the_contract_line():
    page = PAGE.read_text(encoding="utf-8")
    assert '--8<-- "tests/_toy_model.py:model"' in page
    assert '--8<-- "tests/test_common.py:contract"' in page
    model = _snippet(ROOT / "tests" / "_toy_model.py", "model")
    contract = _snippet(ROOT / "tests" / "test_common.py", "contract")
    assert "class NBDModel(PurchaseModel, register=True):" in model
    assert '"NBDModel",' in contract
    # what the page says about the file's size is what it is
    n_lines = len(model.strip().splitlines())
    assert f"{n_lines} lines" in page
    kernels = re.findall(r"^    _\w+ = kernel\(", model, flags=re.MULTILINE)
    assert f"{len(kernels)} kernels" in page
    assert f"on {N_SIMULATED:,} customers simulated" in page
    assert "the analytic one to 1e-4" in page


def test_the_toy_is_registered_and_loadable_by_name():
    assert MODEL_CLASSES["NBDModel"] is NBDModel
    assert isinstance(NBDModel._loglik_gradient_kernel, CentralDifferenceGradient)  # derived


def test_cdnow_fit_is_the_published_nbd():
    nbd.check_published_cdnow_fit(NBDModel().fit(load_cdnow_summary()))


def test_simulated_parameters_are_recovered_within_their_standard_errors(simulated):
    nbd.check_parameters_recovered(simulated[1])


def test_the_derived_numeric_hessian_is_the_analytic_one(simulated):
    data, model = simulated
    covariance = nbd.analytic_covariance(model, data)
    np.testing.assert_allclose(model.covariance_.to_numpy(), covariance, rtol=HESSIAN_RTOL)


def test_predictions_match_simulated_futures_and_the_negative_binomial():
    nbd.check_predictions(NBDModel, seed=2)


def test_a_fitted_toy_reloads_and_predicts_identically(simulated, tmp_path):
    data, model = simulated
    nbd.check_reload(model, data, tmp_path)


def test_customer_lifetime_value_is_the_closed_form(monkeypatch):
    nbd.check_customer_lifetime_value(NBDModel, seed=3, monkeypatch=monkeypatch)


def test_contributing_page_names_every_house_kernel_name():
    """docs/contributing.md lists the function names `kernels=` picks up: all of them."""
    from pathlib import Path

    from customer_models.valuation._kernels import KERNEL_NAMES

    page = (Path(__file__).parents[1] / "docs" / "contributing.md").read_text()
    missing = [name for name in KERNEL_NAMES.values() if f"`{name}`" not in page]
    assert missing == []


def test_contributing_page_names_every_fit_hook():
    """Every hook of FitHooks (what a model's fit may declare) is on docs/contributing.md."""
    from customer_models.valuation._fit_orchestration import FitHooks

    hooks = [name for name in vars(FitHooks) if name.startswith("_") and not name.startswith("__")]
    assert len(hooks) == 4
    missing = [name for name in hooks if f"`{name}(" not in PAGE.read_text()]
    assert missing == []


def test_kernels_keyword_refuses_a_hook_declared_twice():
    import numpy as np
    import pytest

    from customer_models.valuation._kernels import kernel
    from customer_models.valuation._purchase import PurchaseModel

    def probability_alive_kernel(params, x, t_x, T):
        return np.ones_like(x)

    with pytest.raises(TypeError, match="declares _alive_kernel and also takes"):

        class Twice(
            PurchaseModel, kernels=[{"probability_alive_kernel": probability_alive_kernel}]
        ):
            _alive_kernel = kernel(probability_alive_kernel)
