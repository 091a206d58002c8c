"""The generative process of BG/CNBD-k and MBG/CNBD-k, simulated directly (for the tests).

Independent of the library's kernels: each customer draws ``λ ~ Gamma(r, α)``, ``p ~ Beta(a, b)``
and the number of repeat purchases they make before dropping out (BG: ``Geometric(p)``, at
least one; MBG: ``Geometric(p) - 1``, possibly none); the gaps between purchases are
``Gamma(k, rate λ)``. All customers advance one purchase per round (vectorized).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_models._inter_purchase import LOG_INTERPURCHASE_COLUMN


def simulate_cnbd(
    n: int,
    *,
    k: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | np.ndarray,
    horizon: float = 0.0,
    modified: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """Summary columns, litt, purchases in ``(T, T + horizon]``, alive at T and at T + horizon."""
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    budget = rng.geometric(p) - (1 if modified else 0)  # repeat purchases before dropout
    x = np.zeros(n)
    t_x = np.zeros(n)
    litt = np.zeros(n)
    future = np.zeros(n)
    made = np.zeros(n, dtype=np.int64)
    now = np.zeros(n)
    idx = np.flatnonzero(budget > 0)
    while idx.size:
        gap = rng.gamma(k, 1.0 / lam[idx])
        when = now[idx] + gap
        cal = when <= T[idx]
        hold = ~cal & (when <= T[idx] + horizon)
        c = idx[cal]
        x[c] += 1
        litt[c] += np.log(gap[cal])
        t_x[c] = when[cal]
        future[idx[hold]] += 1
        now[idx] = when
        made[idx] += 1
        go = (made[idx] < budget[idx]) & (when <= T[idx] + horizon)
        idx = idx[go]
    out = pd.DataFrame(
        {
            "frequency": x,
            "recency": t_x,
            "T": T,
            LOG_INTERPURCHASE_COLUMN: litt,
            "future": future,
            "alive": x < budget,
            "alive_at_end": x + future < budget,  # still alive at T + horizon
        }
    )
    out.attrs["time_unit"] = "W"
    return out
