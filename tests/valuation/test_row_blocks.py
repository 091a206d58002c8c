"""Weighted totals in row blocks: the same sums as one pass, in a block's memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from _covariate_sim import simulate_bgnbd

from customer_models.valuation import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    _bgnbd,
    _bgnbd_likelihood,
    _mbgnbd,
)
from customer_models.valuation import _derivatives as derivatives_module
from customer_models.valuation._derivatives import ROW_BLOCK, blocked_total, row_blocks

P = np.array([0.6, 4.5, 0.8, 2.6])


def _rows(n: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    """Distinct-looking BTYD rows (continuous times), integer frequencies, integer weights."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(rng.gamma(0.6, 1.0 / 4.5, n) * 40.0).astype(float)
    T = rng.uniform(1.0, 52.0, n)
    t_x = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    w = rng.integers(1, 4, n).astype(float)
    return x, t_x, T, w


def _row_sums(module, p, w, x, t_x, T):
    """The totals from the per-row kernels (another code path: no frequency table, no blocks)."""
    ll_rows, grad_rows, hess_rows = _bgnbd_likelihood.log_likelihood_rows_hessian_kernel(
        p, x, t_x, T, modified=module is _mbgnbd
    )
    return (
        float(np.sum(w * ll_rows)),
        np.einsum("i,ij->j", w, grad_rows),
        np.einsum("i,ijk->jk", w, hess_rows),
    )


def test_row_blocks_cover_the_rows_once() -> None:
    for n, block in [(0, 5), (1, 5), (10, 5), (11, 5), (200_000, None)]:
        slices = list(row_blocks(n, block))
        covered = np.concatenate([np.arange(n)[s] for s in slices])
        np.testing.assert_array_equal(covered, np.arange(n))
        size = ROW_BLOCK if block is None else block
        assert all(s.stop - s.start <= size for s in slices)
    with pytest.raises(ValueError, match="block"):
        list(row_blocks(3, 0))


def test_blocked_total_is_the_plain_sum() -> None:
    x, t_x, T, w = _rows(1000)
    one_pass = float(np.sum(w * _bgnbd.log_likelihood_kernel(P, x, t_x, T)))
    cols = (x, t_x, T)
    assert blocked_total(_bgnbd.log_likelihood_kernel, P, w, cols, block=1000) == pytest.approx(
        one_pass, rel=1e-14
    )
    assert blocked_total(_bgnbd.log_likelihood_kernel, P, w, cols, block=37) == pytest.approx(
        one_pass, rel=1e-13
    )


@pytest.mark.parametrize("module", [_bgnbd, _mbgnbd])
@pytest.mark.parametrize("block", [7, 100, 10_000])
def test_derivatives_in_small_blocks_match_row_kernels(module, block, monkeypatch) -> None:
    """Blocks of any size (a block boundary inside a run of equal frequencies included)."""
    monkeypatch.setattr(derivatives_module, "ROW_BLOCK", block)
    x, t_x, T, w = _rows(3000, seed=block)
    ll, grad, hess = module.log_likelihood_derivatives_kernel(P, w, x, t_x, T, hessian=True)
    ll_ref, grad_ref, hess_ref = _row_sums(module, P, w, x, t_x, T)
    assert ll == pytest.approx(ll_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-9 * np.abs(grad_ref).max())
    np.testing.assert_allclose(hess, hess_ref, rtol=1e-10, atol=1e-10 * np.abs(hess_ref).max())


@pytest.mark.parametrize("module", [_bgnbd, _mbgnbd])
def test_derivatives_over_several_default_blocks(module) -> None:
    x, t_x, T, w = _rows(2 * ROW_BLOCK + 123, seed=11)
    ll, grad, hess = module.log_likelihood_derivatives_kernel(P, w, x, t_x, T, hessian=True)
    ll_ref, grad_ref, hess_ref = _row_sums(module, P, w, x, t_x, T)
    assert ll == pytest.approx(ll_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-9 * np.abs(grad_ref).max())
    np.testing.assert_allclose(hess, hess_ref, rtol=1e-10, atol=1e-10 * np.abs(hess_ref).max())


def test_non_integer_frequencies_in_blocks(monkeypatch) -> None:
    """Frequencies that are not whole counts go through their distinct values, block by block."""
    monkeypatch.setattr(derivatives_module, "ROW_BLOCK", 50)
    x, t_x, T, w = _rows(400, seed=3)
    x = x + 0.25
    ll, grad, hess = _bgnbd.log_likelihood_derivatives_kernel(P, w, x, t_x, T, hessian=True)
    ll_ref, grad_ref, hess_ref = _row_sums(_bgnbd, P, w, x, t_x, T)
    assert ll == pytest.approx(ll_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-9 * np.abs(grad_ref).max())
    np.testing.assert_allclose(hess, hess_ref, rtol=1e-10, atol=1e-10 * np.abs(hess_ref).max())


def test_derivatives_peak_memory_is_a_few_blocks() -> None:
    """The Hessian pass holds one block's temporaries, whatever the number of rows.

    About 22 float64 temporaries of a block (0.5 MiB each, 11 MiB); without blocks they were
    row-sized: above 60 MiB at 400,000 rows, 2.5 times more than at 160,000.
    """

    def peak(n: int) -> int:
        x, t_x, T, w = _rows(n, seed=5)
        tracemalloc.start()
        try:
            _bgnbd.log_likelihood_derivatives_kernel(P, w, x, t_x, T, hessian=True)
            blocked_total(_bgnbd.log_likelihood_kernel, P, w, (x, t_x, T))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    block_array = ROW_BLOCK * 8
    small, large = peak(160_000), peak(400_000)
    assert large < 30 * block_array  # 15 MiB; one row-sized temporary is 3.05 MiB
    assert large < 1.1 * small


@pytest.mark.parametrize("model", [BetaGeoModel, ModifiedBetaGeoModel])
def test_fit_in_blocks_equals_fit_in_one_pass(model, monkeypatch) -> None:
    """The same estimates, log-likelihood and covariance with blocks as in one pass."""
    rng = np.random.default_rng(13)
    none = np.zeros((60_000, 1))
    data = simulate_bgnbd(
        60_000,
        r=0.7,
        alpha=4.0,
        a=0.8,
        b=2.5,
        z_purchase=none,
        z_dropout=none,
        gamma=np.zeros(1),
        delta_a=np.zeros(1),
        delta_b=np.zeros(1),
        modified=model is ModifiedBetaGeoModel,
        rng=rng,
    )[["frequency", "recency", "T"]]
    w = rng.integers(1, 4, len(data)).astype(float)
    monkeypatch.setattr(derivatives_module, "ROW_BLOCK", 10**9)
    one_pass = model().fit(data, sample_weight=w)
    monkeypatch.setattr(derivatives_module, "ROW_BLOCK", 4096)
    blocked = model().fit(data, sample_weight=w)
    np.testing.assert_allclose(blocked.params_, one_pass.params_, rtol=1e-9)
    assert blocked.log_likelihood_ == pytest.approx(one_pass.log_likelihood_, rel=1e-13)
    np.testing.assert_allclose(blocked.covariance_, one_pass.covariance_, rtol=1e-6)
    assert blocked.convergence_.success
    assert one_pass.convergence_.success


@pytest.mark.parametrize("block", [7, 1000, 10**9])
def test_gradient_derivatives_in_blocks_equal_one_pass(block, monkeypatch) -> None:
    """Totals of a per-row (loglik, gradient) kernel: the same in blocks as in one call."""
    x, t_x, T, w = _rows(3000, seed=21)
    kernel = _bgnbd.log_likelihood_gradient_kernel
    ll_rows, grad_rows = kernel(P, x, t_x, T)
    monkeypatch.setattr(derivatives_module, "ROW_BLOCK", block)
    calls = []

    def counted(params, *columns):
        calls.append(columns[0].size)
        return kernel(params, *columns)

    ll, grad, hess = derivatives_module.gradient_derivatives(counted)(P, w, x, t_x, T)
    assert hess is None
    assert max(calls) == min(block, 3000)
    assert sum(calls) == 3000
    assert ll == pytest.approx(float(np.sum(w * ll_rows)), rel=1e-13)
    np.testing.assert_allclose(grad, (w[:, None] * grad_rows).sum(axis=0), rtol=1e-11)
