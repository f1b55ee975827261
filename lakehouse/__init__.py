"""The lake: what DMS lands (Bronze) → current state (Silver, DuckDB + Iceberg) → metrics (Gold), and the proof.

Public API::

    build(landing, warehouse) -> BuildReport        # one incremental build (never reads the source DB)
    follow(landing, warehouse, interval=...)        # build, then poll for new files
    verify(landing, warehouse, conn) -> VerifyReport  # Silver == source per table and tenant, Gold == PG
    table_specs()                                   # the replicated tables, from the models
    mermaid_erd()                                   # the source schema as a Mermaid ER diagram
    lake_vs_source_html(report)                     # the report section "lake vs source"
"""
