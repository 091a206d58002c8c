"""Key drivers: Johnson's relative weights against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import linalg
from sklearn.linear_model import LinearRegression

from customer_models.feedback import key_drivers
from customer_models.feedback._drivers import relative_weights


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    base = rng.normal(size=(n, 4))
    base[:, 1] += 0.7 * base[:, 0]  # correlated drivers
    base[:, 3] += 0.4 * base[:, 2]
    df = pd.DataFrame(base, columns=["price", "quality", "speed", "support"])
    df["overall"] = (
        0.5 * df["price"] + 0.3 * df["quality"] + 0.2 * df["support"] + rng.normal(size=n)
    )
    return df


DRIVERS = ["price", "quality", "speed", "support"]


def direct_relative_weights(df: pd.DataFrame, drivers: list[str], target: str) -> np.ndarray:
    """Johnson (2000) via scipy's matrix square root and a linear solve (no eigen-decomposition)."""
    corr = df[[*drivers, target]].corr().to_numpy()
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    lam = np.real(linalg.sqrtm(rxx))
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def test_matches_direct_computation_and_r_squared(ratings):
    table = key_drivers(ratings, target="overall", drivers=DRIVERS, n_draws=0)
    expected = direct_relative_weights(ratings, DRIVERS, "overall")
    assert table["relative_weight"].to_numpy() == pytest.approx(expected, rel=1e-8)
    X, y = ratings[DRIVERS].to_numpy(), ratings["overall"].to_numpy()
    r2 = LinearRegression().fit(X, y).score(X, y)
    assert table.attrs["r_squared"] == pytest.approx(r2, rel=1e-10)
    assert table["relative_weight"].sum() == pytest.approx(r2, rel=1e-10)
    assert table["share"].sum() == pytest.approx(100.0)
    corr = ratings[[*DRIVERS, "overall"]].corr()["overall"]
    assert table["correlation"].to_numpy() == pytest.approx(corr[DRIVERS].to_numpy())
    assert list(table.index) == DRIVERS
    expected_rank = len(DRIVERS) - np.argsort(np.argsort(expected))
    assert table["rank"].tolist() == expected_rank.tolist()
    assert table.loc["speed", "rank"] == 4  # speed does not enter the model


def test_orthogonal_drivers_get_squared_correlations():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(200, 3)) - 0.0)
    X = q - q.mean(axis=0)
    X, _ = np.linalg.qr(X)  # centred, orthogonal columns
    X -= X.mean(axis=0)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["y"] = X @ [3.0, 1.0, 0.5] + rng.normal(scale=0.01, size=200)
    table = key_drivers(df, target="y", drivers=["a", "b", "c"], n_draws=0)
    r = df.corr()["y"][["a", "b", "c"]].to_numpy()
    corr = df[["a", "b", "c"]].corr().to_numpy()
    assert np.abs(corr - np.eye(3)).max() < 1e-10
    assert table["relative_weight"].to_numpy() == pytest.approx(r**2, rel=1e-6)


def test_kernel_is_vectorized_over_stacks():
    corr = np.array([[1.0, 0.3, 0.5], [0.3, 1.0, 0.4], [0.5, 0.4, 1.0]])
    stacked, r2 = relative_weights(np.stack([corr, corr, np.full((3, 3), np.nan)]))
    single, r2_single = relative_weights(corr)
    assert stacked[0] == pytest.approx(single)
    assert r2[1] == pytest.approx(r2_single)
    assert np.isnan(stacked[2]).all()


def test_bootstrap_intervals(ratings):
    a = key_drivers(ratings, target="overall", drivers=DRIVERS, n_draws=150, random_state=1)
    b = key_drivers(ratings, target="overall", drivers=DRIVERS, n_draws=150, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    for name in ("correlation", "relative_weight", "share"):
        assert (a[f"{name}_lower"] <= a[f"{name}_upper"]).all()
        assert (a[f"{name}_lower"] <= a[name] + 0.02).all()
        assert (a[name] - 0.02 <= a[f"{name}_upper"]).all()
    assert a.attrs["n_draws"] == 150
    assert a.attrs["n_draws_failed"] == 0
    # the correlation interval is close to Fisher's z interval
    r = a.loc["price", "correlation"]
    z = np.arctanh(r)
    half = 1.96 / np.sqrt(len(ratings) - 3)
    assert a.loc["price", "correlation_lower"] == pytest.approx(np.tanh(z - half), abs=0.03)
    assert a.loc["price", "correlation_upper"] == pytest.approx(np.tanh(z + half), abs=0.03)


def test_no_mutation(ratings):
    before = ratings.copy()
    key_drivers(ratings, target="overall", drivers=DRIVERS, n_draws=20, random_state=0)
    pd.testing.assert_frame_equal(ratings, before)
