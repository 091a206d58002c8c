"""How often does compare_models rank the true model first? (issue 19 item 2).

Simulates calibration (T uniform on 26-39 weeks) and a 39-week holdout from each model's own
generative process (BG/NBD, MBG/NBD, Pareto/NBD), fits all three candidates with
``compare_models`` and counts how often the generating model has the best (lowest) holdout
log score. Prints one row per generating model: replications, customers, share ranked first,
and the mean margin (log score of the best wrong candidate minus the true model's).

    python benchmarks/bench_compare.py              # 20 replications x 2,000 customers
    python benchmarks/bench_compare.py 5 1000       # quicker
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from customer_models.datasets import make_holdout_summary
from customer_models.evaluation._compare import compare_models
from customer_models.exceptions import ConvergenceWarning
from customer_models.valuation import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

#: Generating parameters (weeks): purchase rate Gamma(0.5, 4), dropout as each model has it.
TRUE = {
    "BetaGeoModel": ("bgnbd", {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    "ModifiedBetaGeoModel": ("mbgnbd", {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    "ParetoNBDModel": ("pareto_nbd", {"r": 0.5, "alpha": 4.0, "s": 1.5, "beta": 20.0}),
}


def main(argv: list[str]) -> None:
    reps = int(argv[0]) if argv else 20
    n = int(argv[1]) if len(argv) > 1 else 2000
    candidates = [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel]
    print(
        f"{'generating model':<22}{'reps':>5}{'customers':>10}{'first':>8}{'share':>8}"
        f"{'margin':>10}{'seconds':>9}"
    )
    for true_name, (process, params) in TRUE.items():
        first, margins = 0, []
        start = time.perf_counter()
        for rep in range(reps):
            data = make_holdout_summary(n, params, process=process, random_state=1000 + rep)
            with warnings.catch_warnings():
                # a wrong candidate often fits to a ridge; the table records it
                warnings.simplefilter("ignore", ConvergenceWarning)
                table = compare_models(candidates, data).table
            scores = table["holdout_log_score"]
            first += int(table.index[0] == true_name)
            wrong = scores.drop([true_name, "baseline (same rate)"])
            margins.append(float(wrong.min() - scores[true_name]))
        seconds = time.perf_counter() - start
        print(
            f"{true_name:<22}{reps:>5}{n:>10}{first:>8}{first / reps:>8.2f}"
            f"{np.mean(margins):>10.4f}{seconds:>9.1f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
