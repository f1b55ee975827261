"""The live workload: tenants' worlds carried on at their own pace, with a ledger of what committed.

``simulator`` runs the operations (one transaction each) and keeps the ledger; ``pace`` is the
simulated clock, the tenants' rates and the repeat-draw urns; ``sql`` renders every statement
from the models once; ``ledger`` compares a ledger with what a CDC consumer captured;
``selection`` reads ``--operations`` and ``--tenants``. Importing this package needs Django's
app registry (the statements come from the models).
"""

from cdc.workload.ledger import Captured, Comparison, compare, percentile, read_captured
from cdc.workload.simulator import CATEGORIES, MAX_WORKERS, Ledger, Simulator, Summary, run_workers

__all__ = ["CATEGORIES", "MAX_WORKERS", "Captured", "Comparison", "Ledger", "Simulator", "Summary", "compare",
           "percentile", "read_captured", "run_workers"]
