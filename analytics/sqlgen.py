"""Derive every engine's SQL text from one canonical definition, through sqlglot's syntax tree.

The metric files are written once, in PostgreSQL syntax. Everything an engine runs is
generated here, the one place a reviewer reads to know what changes between engines:

* :func:`add_tenant_filter` adds ``AND alias.tenant_id = <tenant>`` on every scan of a
  tenant table (in the ``WHERE`` of the scan's ``SELECT`` for the ``FROM`` table, in the
  ``ON`` of its join for a joined one, so an outer join keeps its meaning). The PostgreSQL
  runners use it with a bound parameter: under RLS it gives the planner the tenant the
  policy's initplan hides (the policy stays the boundary); as the replication role it is the
  only filter.
* :func:`render` transpiles to ``postgres``, ``duckdb`` or ``athena`` (Trino) and repairs the
  dialect traps sqlglot leaves in place (each has a test in tests/analytics/test_dialects.py):

  - an integer divided by an integer truncates in PostgreSQL and Trino, not in DuckDB: such a
    division becomes an explicit integer division;
  - an unsized ``numeric`` is ``DECIMAL(18,3)`` in DuckDB and ``DECIMAL(38,0)`` in Trino: it is
    sized ``DECIMAL(38,10)`` everywhere;
  - Trino divides decimals at the larger operand scale (``revenue / revenue`` keeps two
    places): the dividend of every non-integer division is cast to ``DECIMAL(38,10)``;
  - Trino has no exact ``percentile_cont`` (sqlglot writes the approximate
    ``approx_percentile``): it becomes the exact interpolation over ``array_sort(array_agg(x))``;
  - ``date - date`` is a number of days in PostgreSQL and DuckDB, an interval in Trino: it
    becomes ``date_diff('day', ...)`` where both sides are typed dates;
  - ``EXTRACT(isodow ...)`` does not exist in Trino: ``day_of_week(...)``;
  - ``greatest``/``least`` skip NULLs in PostgreSQL (and DuckDB) but return NULL in Trino:
    each argument is coalesced with the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types

#: The engines, by the name users type, and sqlglot's dialect for each.
DIALECTS: dict[str, str] = {"postgres": "postgres", "duckdb": "duckdb", "athena": "trino"}
#: Canonical dialect of the metric files.
SOURCE_DIALECT = "postgres"
#: The bound parameter of the PostgreSQL filtered text (pyformat, as psycopg2 and Django expect).
TENANT_PARAM = "tenant"
#: What an unsized ``numeric`` cast becomes everywhere (enough digits for every ratio we round).
DECIMAL_TYPE = exp.DataType.build("DECIMAL(38, 10)")


class TenantParameter:
    """Marker for ``tenant_filter=``: a bound ``%(tenant)s`` parameter instead of a literal id."""

    def __repr__(self) -> str:
        return "TENANT"


#: Pass as ``tenant_filter`` to get a parameterised text (PostgreSQL: ``%(tenant)s``).
TENANT = TenantParameter()


class MetricSQLError(ValueError):
    """A definition breaks a rule of the canonical SQL (reported with the metric's name)."""


def parse(text: str, *, name: str = "<sql>") -> exp.Expression:
    """The canonical text as a syntax tree (one statement)."""
    try:
        statements = [s for s in sqlglot.parse(text, read=SOURCE_DIALECT) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise MetricSQLError(f"{name}: {exc}") from exc
    if len(statements) != 1:
        raise MetricSQLError(f"{name}: one statement per definition, found {len(statements)}")
    return statements[0]


def tenant_scans(tree: exp.Expression, tenant_tables: Mapping[str, str]) -> list[exp.Table]:
    """Every scan of a tenant table (CTE names are not tables)."""
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return [t for t in tree.find_all(exp.Table) if t.name in tenant_tables and t.name not in ctes]


def _condition(table: exp.Table, column: str, tenant: object) -> exp.Expression:
    if isinstance(tenant, TenantParameter):
        value: exp.Expression = exp.Placeholder(this=TENANT_PARAM)
    elif isinstance(tenant, exp.Expression):
        value = tenant.copy()
    else:
        value = exp.Literal.string(str(uuid.UUID(str(tenant))))
    return exp.EQ(this=exp.column(column, table=table.alias_or_name), expression=value)


def add_tenant_filter(tree: exp.Expression, tenant_tables: Mapping[str, str], tenant: object) -> exp.Expression:
    """A copy of ``tree`` with ``alias.<tenant column> = <tenant>`` on every tenant-table scan.

    ``tenant_tables`` maps each tenant table to its tenant column (``tenant_id``; ``id`` for
    ``tenancy_tenant`` itself). ``tenant`` is a tenant id, :data:`TENANT`, or any sqlglot
    expression (``bench_rls`` compares with a tenant known only at run time, a sub-select).
    """
    tree = tree.copy()
    for table in tenant_scans(tree, tenant_tables):
        condition = _condition(table, tenant_tables[table.name], tenant)
        parent = table.parent
        if isinstance(parent, exp.Join):
            if parent.side == "FULL" or parent.args.get("using"):
                raise MetricSQLError(f"{table.name}: a tenant table in a FULL or USING join cannot be filtered")
            on = parent.args.get("on")
            parent.set("on", exp.and_(on, condition) if on is not None else condition)
            continue
        select = table.find_ancestor(exp.Select)
        if select is None or not isinstance(parent, exp.From):
            raise MetricSQLError(f"{table.name}: only FROM and JOIN scans of tenant tables can be filtered")
        if any(j.side == "FULL" or j.side == "RIGHT" for j in select.args.get("joins") or []):
            raise MetricSQLError(f"{table.name}: the FROM table of a FULL or RIGHT join cannot be filtered")
        select.where(condition, append=True, copy=False)
    return tree


def row_counts_query(tenant_tables: Mapping[str, str]) -> exp.Expression:
    """Rows per table and tenant: ``table_name, tenant_id, row_count``, one ``UNION ALL`` branch per table.

    Run as the replication role it counts every tenant; as the app role under RLS, only the
    current tenant's rows.
    """
    branches = [
        exp.select(exp.Literal.string(table).as_("table_name"), exp.column(column).as_("tenant_id"),
                   exp.Count(this=exp.Star()).as_("row_count")).from_(table).group_by(exp.column(column))
        for table, column in sorted(tenant_tables.items())
    ]
    query = branches[0]
    for branch in branches[1:]:
        query = exp.union(query, branch, distinct=False)
    return query


def _is_integer(node: exp.Expression) -> bool:
    return node.type is not None and node.type.this in exp.DataType.INTEGER_TYPES


#: Arithmetic that carries its operands' type up (what an EXTRACT's corrected type must reach).
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Paren, exp.Neg)


def _postgres_extract_types(tree: exp.Expression) -> None:
    """sqlglot types ``EXTRACT`` as an integer; PostgreSQL (14+) returns ``numeric``.

    ``EXTRACT(epoch ...)`` has fractions of a second, so ``(epoch_a - epoch_b) / 86400`` is no
    integer division: retype each EXTRACT and the arithmetic above it, up to a cast or a
    function, as DECIMAL.
    """
    numeric = exp.DataType.build("DECIMAL")
    for extract in tree.find_all(exp.Extract):
        node: exp.Expression | None = extract
        while node is not None and (node is extract or isinstance(node, _ARITHMETIC)):
            node.type = numeric
            node = node.parent


def _integer_division(tree: exp.Expression, schema: Mapping[str, Mapping[str, str]]) -> exp.Expression:
    """Mark divisions of an integer by an integer, so DuckDB truncates as PostgreSQL does."""
    annotated = annotate_types(tree.copy(), schema=dict(schema), dialect=SOURCE_DIALECT)
    _postgres_extract_types(annotated)
    for node in list(annotated.find_all(exp.Div)):
        if _is_integer(node.this) and _is_integer(node.expression):
            node.replace(exp.IntDiv(this=node.this, expression=node.expression))
    return annotated


#: Exact ``percentile_cont(p) WITHIN GROUP (ORDER BY x)`` for Trino: linear interpolation between
#: the values at 0-based positions floor(p*(n-1)) and ceil(p*(n-1)) of the sorted group.
EXACT_PERCENTILE = (
    "element_at(array_sort(array_agg(X)), CAST(floor(P * (count(X) - 1)) AS BIGINT) + 1)"
    " + (P * (count(X) - 1) - floor(P * (count(X) - 1)))"
    " * (element_at(array_sort(array_agg(X)), CAST(ceil(P * (count(X) - 1)) AS BIGINT) + 1)"
    " - element_at(array_sort(array_agg(X)), CAST(floor(P * (count(X) - 1)) AS BIGINT) + 1))"
)


def exact_percentile(value: exp.Expression, fraction: exp.Expression) -> exp.Expression:
    """The :data:`EXACT_PERCENTILE` tree for one value and fraction.

    Nulls are skipped as in PostgreSQL: ``count(x)`` does not count them and ``array_sort``
    puts them last, beyond every position the formula reads.
    """
    template = sqlglot.parse_one(EXACT_PERCENTILE, read="trino")
    for column in list(template.find_all(exp.Column)):
        if column.name == "X":
            column.replace(value.copy())
        elif column.name == "P":
            column.replace(fraction.copy())
    return exp.Paren(this=template)


_FLOATS = {exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE}


def _trino_repairs(tree: exp.Expression) -> exp.Expression:
    for within in list(tree.find_all(exp.WithinGroup)):
        if isinstance(within.this, exp.PercentileCont):
            ordered = within.expression.expressions
            if len(ordered) != 1 or ordered[0].args.get("desc"):
                raise MetricSQLError("percentile_cont needs exactly one ascending ORDER BY value")
            within.replace(exact_percentile(ordered[0].this, within.this.this))
    for node in list(tree.find_all(exp.Greatest, exp.Least)):
        args = [node.this, *node.expressions]
        if len(args) > 1:
            # PostgreSQL's greatest/least skip NULLs, Trino's return NULL: coalesce each argument
            # with the others, so a NULL argument never wins and all-NULL stays NULL.
            fixed = [exp.Coalesce(this=arg.copy(), expressions=[o.copy() for o in args if o is not arg])
                     for arg in args]
            node.replace(type(node)(this=fixed[0], expressions=fixed[1:]))
    for extract in list(tree.find_all(exp.Extract)):
        if extract.this.name.upper() == "ISODOW":
            extract.replace(exp.Anonymous(this="day_of_week", expressions=[extract.expression.copy()]))
    for div in reversed(list(tree.find_all(exp.Div))):  # innermost first: an outer cast copies them
        dividend = div.this
        already = isinstance(dividend, exp.Cast) and dividend.to.this == exp.DataType.Type.DECIMAL
        if not already and not (dividend.type is not None and dividend.type.this in _FLOATS):
            div.set("this", exp.Cast(this=dividend.copy(), to=DECIMAL_TYPE.copy()))
    return tree


def _date_differences(tree: exp.Expression) -> exp.Expression:
    for sub in list(tree.find_all(exp.Sub)):
        left, right = sub.this, sub.expression
        if all(side.type is not None and side.type.this == exp.DataType.Type.DATE for side in (left, right)):
            sub.replace(exp.DateDiff(this=left.copy(), expression=right.copy(), unit=exp.var("DAY")))
    return tree


def _size_decimals(tree: exp.Expression) -> exp.Expression:
    for node in tree.find_all(exp.DataType):
        if node.this == exp.DataType.Type.DECIMAL and not node.expressions:
            node.replace(DECIMAL_TYPE.copy())
    return tree


def render(tree: exp.Expression, dialect: str, *, schema: Mapping[str, Mapping[str, str]] | None = None,
           pretty: bool = True) -> str:
    """The text of ``tree`` for ``dialect`` (one of :data:`DIALECTS`)."""
    if dialect not in DIALECTS:
        raise MetricSQLError(f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    tree = _size_decimals(tree.copy())
    if dialect != "postgres":
        tree = _date_differences(_integer_division(tree, schema or {}))
    if dialect == "athena":
        tree = _trino_repairs(tree)
    return tree.sql(dialect=DIALECTS[dialect], pretty=pretty)
