"""The live workload: tenants' worlds carried on at their own pace, with a ledger of what committed.

``simulator`` schedules and runs the operations (one transaction each, settled after a lost
connection) and keeps the ledger; ``operations`` is what each one writes; ``state`` what is
known of a tenant; ``pace`` the simulated clock, the tenants' rates and the repeat-draw urns;
``sql`` renders every statement from the models once; ``workers`` runs simulators in threads;
``ledger`` holds what committed and compares it with what a CDC consumer captured;
``selection`` reads ``--operations`` and ``--tenants``. Importing this package needs Django's
app registry (the statements come from the models).
"""

from cdc.workload.ledger import Captured, Comparison, Ledger, Summary, compare, percentile, read_captured
from cdc.workload.simulator import CATEGORIES, Simulator
from cdc.workload.workers import MAX_WORKERS, run_workers

__all__ = ["CATEGORIES", "MAX_WORKERS", "Captured", "Comparison", "Ledger", "Simulator", "Summary", "compare",
           "percentile", "read_captured", "run_workers"]
