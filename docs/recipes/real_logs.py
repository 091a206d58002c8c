"""The "Real logs" example of docs/summary.md, runnable (tests/test_real_logs.py runs it).

The part between the ``--8<--`` markers is included verbatim in docs/summary.md.
"""

from __future__ import annotations

# --8<-- [start:recipe]
import pandas as pd

import customer_models as cm

# An export as shops make them: times of day, day-first strings, a refund, a same-day
# cancellation, a $0 order and a "never" sentinel date.
log = pd.DataFrame(
    {
        "customer": ["ann", "ann", "ann", "ann", "bob", "bob", "bob", "cy", "cy"],
        "when": [
            "03/01/2024 09:15",  # Jan 3
            "14/01/2024 18:40",  # Jan 14
            "20/01/2024 10:00",  # refund of part of the Jan 14 order, on its own day
            "31/01/2024 23:55",  # late on the cut-off day: counts
            "05/01/2024 12:00",
            "22/01/2024 16:00",  # cancelled the same day ...
            "22/01/2024 16:30",  # ... by this refund: not a purchase
            "10/01/2024 08:00",
            "31/12/9999 00:00",  # sentinel for "no date": after the cut-off, ignored
        ],
        "amount": [40.0, 60.0, -25.0, 0.0, 30.0, 50.0, -50.0, 15.0, 99.0],
    }
)
summary = cm.rfm_summary(
    log,
    customer_col="customer",
    date_col="when",
    value_col="amount",
    dayfirst=True,  # 03/01/2024 is January 3; without it the order is an error
    refunds="net_customer",  # refunds reduce spend, never add purchases
    observation_end="2024-01-31",  # the whole day, up to 23:59:59.999999
    time_unit="W",
)
print(summary[["frequency", "recency", "T", "monetary_value"]].round(3))

# A model remembers the unit of the summary it was fitted on ...
model = cm.BetaGeoModel.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4, time_unit="W")
# ... and refuses a frame whose unit was lost in a join, until you restore it.
joined = summary.join(pd.Series({"ann": "north"}, name="region"))
p_alive = model.probability_alive(cm.with_time_unit(joined, "W"))
print(p_alive.round(3))
# --8<-- [end:recipe]
