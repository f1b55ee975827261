"""Land the source's current rows as DMS would, for tests (the real full load is ``dms_task``)."""

from __future__ import annotations

from lakehouse.snapshot import copy_full_load as full_load
from lakehouse.snapshot import copy_rows

__all__ = ["copy_rows", "full_load"]
