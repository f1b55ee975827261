"""The lake: what DMS lands (Bronze) → current state (Silver, DuckDB + Iceberg) → metrics (Gold), and the proof.

Public API::

    build(landing, warehouse) -> BuildReport          # one incremental build (never reads the source DB)
    follow(landing, warehouse, interval=...)          # build, then poll for new files
    verify(conn, warehouse) -> VerifyReport           # Silver == source per table and tenant, Gold == PG
    table_specs()                                     # the replicated tables, from the models
    mermaid_erd(), erd_markdown()                     # the source schema as a Mermaid ER diagram
    lake_vs_source_section(report)                    # the report's "Lake vs source" ExtraSection
    lake_vs_source_html(report)                       # its HTML body
    open_landing(root), LandingError, SilverError
"""

from lakehouse.build import BuildReport, build, follow
from lakehouse.erd import erd_markdown, mermaid_erd
from lakehouse.landing import LandingError, open_landing
from lakehouse.report import lake_vs_source_html, lake_vs_source_section
from lakehouse.schema import TableSpec, table_specs
from lakehouse.silver import SilverError
from lakehouse.verify import VerifyReport, verify

__all__ = [
    "BuildReport", "LandingError", "SilverError", "TableSpec", "VerifyReport", "build", "erd_markdown", "follow",
    "lake_vs_source_html", "lake_vs_source_section", "mermaid_erd", "open_landing", "table_specs", "verify",
]
