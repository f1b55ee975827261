"""The DMS side of the source: what AWS DMS would capture, reproduced locally.

Public API (imported lazily, so ``manage.py`` commands that do not stream load no pyarrow)::

    run_task(store, slot, dbname, S3Profile(...))   # full load (exact cut) + CDC: dms_task, cdc_tail
    S3Profile                                       # the settings dms_task and dms_config share
    Consumer, ConsumerStats                         # the CDC half
    open_target(target, s3_endpoint)                # folder or s3:// → a checked store
    landing                                         # the file contract (layout, names, columns, reader)
    SlotLost                                        # a slot whose WAL is gone
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "run_task": "cdc.task", "S3Profile": "cdc.task", "TaskResult": "cdc.task",
    "Consumer": "cdc.consumer", "ConsumerStats": "cdc.consumer",
    "open_target": "cdc.targets", "SlotLost": "cdc.slots", "landing": "cdc.landing",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cdc' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    return module if name == "landing" else getattr(module, name)
