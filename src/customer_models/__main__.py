"""Demo: ``python -m customer_models`` prints a customer report on the bundled CDNOW data."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import pandas as pd

from customer_models._demo import DEMO_SECTIONS
from customer_models.datasets import load_cdnow_transactions
from customer_models.summary import calibration_holdout_split, rfm_summary


def _summary_section(transactions: pd.DataFrame, summary: pd.DataFrame) -> str:
    repeaters = summary["frequency"] > 0
    marketing_recency = summary["T"] - summary["recency"]
    lines = [
        "Customer summary (time in weeks)",
        f"  transactions            {len(transactions):>10,}",
        f"  customers               {len(summary):>10,}",
        f"  repeat buyers           {int(repeaters.sum()):>10,} ({repeaters.mean():.1%})",
        f"  mean repeat purchases   {summary['frequency'].mean():>10.2f}",
        f"  median weeks since last {marketing_recency.median():>10.1f}",
        f"  mean repeat order value {summary.loc[repeaters, 'monetary_value'].mean():>10.2f}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and print the report; returns the process exit code.

    A reader that closes the pipe early (``python -m customer_models | head -3``) ends the
    demo quietly with status 0: the rest of the report is dropped, without a traceback.
    """
    try:
        code = _report(argv)
        sys.stdout.flush()  # inside the try: a closed pipe surfaces here, not at exit
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
    return code


def _report(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m customer_models",
        description="Customer analytics report on the bundled CDNOW data (Fader & Hardie).",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="use the full CDNOW master (23,570 customers) instead of the 1/10 sample",
    )
    args = parser.parse_args(argv)
    transactions = load_cdnow_transactions(sample=not args.full)
    summary = rfm_summary(
        transactions, value_col="amount", time_unit="W", observation_end="1997-09-30"
    )
    split = calibration_holdout_split(
        transactions,
        value_col="amount",
        time_unit="W",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
    )
    label = "full master" if args.full else "1/10 sample"
    print(f"customer_models demo: CDNOW {label}, calibration 1997-01-01..1997-09-30\n")
    print(_summary_section(transactions, summary))
    for section in DEMO_SECTIONS:
        print()
        print(section(transactions, split))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
