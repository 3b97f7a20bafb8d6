"""The read models' tables, in the event store's schema, and the SQL helpers every query shares.

Region codes are compared byte-wise (`COLLATE "C"`) and selected with ranges rather than `LIKE`: a range is
the same plan for every prefix (psycopg prepares repeated statements, and a generic plan cannot use an index
for `LIKE $1`), and any server collation orders digit strings the same way under "C".
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Final

from psycopg import sql

from branchflow.domain.formation_table import COLUMNS as TABLE_COLUMNS

# The tables this package owns. The tracking table (eventsourcing's) is created by the view itself.
CASES: Final = "cases"
MEMBERS: Final = "members"
AUDIT: Final = "audit"
BOARD_COUNTS: Final = "board_counts"
REGION_COUNTS: Final = "region_counts"
CASE_STATES: Final = "case_states"
WORK_QUEUE: Final = "work_queue"
CASE_PERIODS: Final = "case_periods"
MEMBER_PERIODS: Final = "member_periods"
TRACKING: Final = "projection_tracking"
TABLES: Final = (CASES, CASE_STATES, MEMBERS, AUDIT, BOARD_COUNTS, REGION_COUNTS, WORK_QUEUE, CASE_PERIODS,
                 MEMBER_PERIODS)
# The rows of `cases` and `members` as of the business date in the setting AS_OF (`as_of.rows_as_of` sets it
# for a transaction): views of the periods, read by the same queries as the live tables.
CASES_AS_OF: Final = "cases_as_of"
MEMBERS_AS_OF: Final = "members_as_of"
AS_OF: Final = "branchflow.as_of"
OPEN: Final = date.max  # the `valid_until` of a period that still holds

# The summaries are kept for every province, city, district and street (a case counts in the four regions
# its code names): a region's own figures are its rows, its children's the rows one level down. A community
# (12 digits) has few cases; questions about communities read the `cases` rows themselves.
SUMMARY_LEVELS: Final = (2, 4, 6, 9)

# What a row of `cases` counts towards, as SQL conditions: the one definition that both the summary upkeep
# and the boards' direct queries use. Closed cases count only in `cases` and `closed`: they are out of the
# total and of every rate (domain.md "Counting"; formed/covered/blank spot/overdue are false once closed).
BOARD_KEY: Final = ("level", "prefix", "kind", "subtype", "industry", "above_scale", "registered")
BOARD_FIGURES: Final = {
    "cases": "true",
    "total": "stage <> 'CLOSED'",
    "no_members": "stage = 'NO_MEMBERS'",
    "developing_members": "stage = 'DEVELOPING_MEMBERS'",
    "temporary_branch": "stage = 'TEMPORARY_BRANCH'",
    "formal_branch": "stage = 'FORMAL_BRANCH'",
    "closed": "stage = 'CLOSED'",
    "formed": "formed",
    "organization_covered": "organization_covered",
    "work_covered": "work_covered",
    "blank_spots": "blank_spot",
    "overdue": "overdue",
    # responsibility covered first (domain.md): an open case with a responsible committee; one without is a
    # blank spot of responsibility
    "responsibility_covered": "stage <> 'CLOSED' AND responsible_committee IS NOT NULL",
    # party organizations of the organization's own, by type (statistics); joint branches are counted apart
    "committee": "method = 'standalone' AND party_org_type = 'committee'",
    "general_branch": "method = 'standalone' AND party_org_type = 'general_branch'",
    "branch": "method = 'standalone' AND party_org_type = 'branch'",
    "temporary": "method = 'temporary'",
}
# The members' marginals in `region_counts`: the statistics report each dimension on its own, never crossed.
# (`region_counts` also counts, per region, the organizations in each joint branch: dimension "joint_branch".)
MEMBER_DIMENSIONS: Final = {
    "status": "status",
    "gender": "gender",
    "education": "education",
    "birth_year": "extract(year FROM birth_date)::integer::text",
    "relation": "CASE WHEN relation_transferred THEN 'here' ELSE 'elsewhere' END",  # where the relation sits
}


# ... and what the rows add to the statistics table's columns (`table_*`), summed: today's table of a region
# is then a sum of a few summary rows (`formation_table.table_figures`).
TABLE_SUMS: Final = tuple(f"table_{name}" for name in TABLE_COLUMNS)
SUMMARY_FIGURES: Final = (*BOARD_FIGURES, *TABLE_SUMS)  # every figure column of `board_counts`


def summary_aggregates() -> str:
    """`board_aggregates()` and the sums of the table's columns, named as `board_counts` names them."""
    return board_aggregates() + ", " + ", ".join(f"sum({name}) AS {name}" for name in TABLE_SUMS)


def board_aggregates() -> str:
    """`count(*) FILTER (WHERE ...) AS figure, ...` over rows of `cases`."""
    return ", ".join(f"count(*) FILTER (WHERE {condition}) AS {name}" for name, condition in BOARD_FIGURES.items())


# Columns as (name, type, constraint): the tables' DDL and the binary COPY's types both come from here.
Columns = tuple[tuple[str, str, str], ...]
_BYTEWISE = 'text COLLATE "C"'  # codes and names compare by code point on every server
CASE_COLUMNS: Final[Columns] = (
    ("id", "uuid", "PRIMARY KEY"), ("name", _BYTEWISE, "NOT NULL"), ("credit_code", "text", ""),
    ("kind", "text", "NOT NULL"), ("subtype", "text", "NOT NULL"), ("registered", "boolean", "NOT NULL"),
    ("region_code", _BYTEWISE, "NOT NULL"),
    ("industry", "text", "NOT NULL"), ("employees", "integer", "NOT NULL"), ("above_scale", "boolean", "NOT NULL"),
    ("founded_on", "date", "NOT NULL"), ("founded_year", "integer", "NOT NULL"),
    ("superior_party_org", "text", ""), ("owner_is_member", "boolean", "NOT NULL"),
    ("registered_on", "date", "NOT NULL"), ("closed_on", "date", ""), ("stage", "text", "NOT NULL"),
    ("method", "text", ""), ("formed", "boolean", "NOT NULL"), ("organization_covered", "boolean", "NOT NULL"),
    ("work_covered", "boolean", "NOT NULL"), ("blank_spot", "boolean", "NOT NULL"),
    ("overdue", "boolean", "NOT NULL"), ("party_org_type", "text", ""), ("party_org_name", "text", ""),
    ("joint_branch_id", "text", ""), ("instructor", "text", ""), ("affiliation", "text", ""),
    ("formal_members", "integer", "NOT NULL"), ("probationary_members", "integer", "NOT NULL"),
    ("version", "integer", "NOT NULL"), ("modified_at", "timestamptz", "NOT NULL"),
    ("responsible_committee", "text", ""), ("term_ends_on", "date", ""),
    ("funnel", "text", "NOT NULL"),  # the development funnel's part of the case (domain.funnel.encoded)
    # What the case adds to each column of the statistics table (domain.formation_table): reports sum them.
    *((f"table_{name}", "integer", "NOT NULL") for name in TABLE_COLUMNS),
)
# The aggregate's snapshot at a version (see batch.SNAPSHOT_EVERY), as the application's mapper encodes it;
# apart from `cases`, whose rows stay narrow for the lists and boards that read many of them.
CASE_STATE_COLUMNS: Final[Columns] = (
    ("id", "uuid", "PRIMARY KEY"), ("version", "integer", "NOT NULL"), ("state", "bytea", "NOT NULL"),
)
MEMBER_COLUMNS: Final[Columns] = (
    ("case_id", "uuid", "NOT NULL"), ("member_id", "text", "NOT NULL"), ("region_code", _BYTEWISE, "NOT NULL"),
    ("gender", "text", "NOT NULL"), ("birth_date", "date", "NOT NULL"), ("education", "text", "NOT NULL"),
    ("status", "text", "NOT NULL"), ("relation_transferred", "boolean", "NOT NULL"),
)
AUDIT_COLUMNS: Final[Columns] = (
    ("case_id", "uuid", "NOT NULL"), ("sequence", "integer", "NOT NULL"),
    ("notification_id", "bigint", "NOT NULL"), ("type", "text", "NOT NULL"), ("occurred_on", "date", "NOT NULL"),
    ("recorded_at", "timestamptz", "NOT NULL"), ("actor", "text", "NOT NULL"), ("reason", "text", "NOT NULL"),
    ("data", "jsonb", "NOT NULL"), ("region_code", _BYTEWISE, "NOT NULL"),
)
# An open obligation of an open case (domain `work_queue.queue_entries`): the work queue's rows. `actions` are
# the discharging steps' names, space-separated (a text column copies as plain as the others).
WORK_QUEUE_COLUMNS: Final[Columns] = (
    ("case_id", "uuid", "NOT NULL"), ("rule", "text", "NOT NULL"), ("subject", "text", "NOT NULL"),
    ("subject_name", "text", "NOT NULL"), ("due_on", "date", ""), ("escalated", "boolean", "NOT NULL"),
    ("region_code", _BYTEWISE, "NOT NULL"), ("name", _BYTEWISE, "NOT NULL"), ("detail", "text", "NOT NULL"),
    ("actions", "text", "NOT NULL"),
)
# A case's rows from business date `valid_from` (included) until `valid_until` (excluded): each period's rows
# are those `rows` derives from the case as it stood then (`domain.as_of.states_by_date`), columns last.
PERIOD_COLUMNS: Final[Columns] = (("valid_from", "date", "NOT NULL"), ("valid_until", "date", "NOT NULL"))
CASE_PERIOD_COLUMNS: Final[Columns] = (("id", "uuid", "NOT NULL"), *CASE_COLUMNS[1:], *PERIOD_COLUMNS)
MEMBER_PERIOD_COLUMNS: Final[Columns] = (*MEMBER_COLUMNS, *PERIOD_COLUMNS)
BOARD_COLUMNS: Final[Columns] = (
    ("level", "smallint", "NOT NULL"), ("prefix", _BYTEWISE, "NOT NULL"),
    ("kind", "text", "NOT NULL"), ("subtype", "text", "NOT NULL"), ("industry", "text", "NOT NULL"),
    ("above_scale", "boolean", "NOT NULL"), ("registered", "boolean", "NOT NULL"),
    *((name, "integer", "NOT NULL") for name in BOARD_FIGURES),
    *((name, "bigint", "NOT NULL") for name in TABLE_SUMS),
)
REGION_COUNT_COLUMNS: Final[Columns] = (
    ("level", "smallint", "NOT NULL"), ("prefix", _BYTEWISE, "NOT NULL"), ("dimension", "text", "NOT NULL"),
    ("value", "text", "NOT NULL"), ("n", "integer", "NOT NULL"),
)


# The joint branches among some rows of `cases`: each once, and only where the domain counts its organizations
# as joint ones (domain.md "Party organizations that lose their members": one with no formal member left is
# set up for none of them, though they still belong to it).
JOINT_BRANCH_SET_UP: Final = "joint_branch_id IS NOT NULL AND table_joint_organizations > 0"  # a row's
JOINT_BRANCHES_SET_UP: Final = f"count(DISTINCT joint_branch_id) FILTER (WHERE {JOINT_BRANCH_SET_UP})"


def copy_types(columns: Columns) -> list[str]:
    """The columns' types as psycopg's binary COPY names them."""
    names = {"integer": "int4", "boolean": "bool", "bigint": "int8", "smallint": "int2"}
    return [names.get(sql_type.split(" ")[0], sql_type.split(" ")[0]) for _, sql_type, _ in columns]


def _table(name: str, columns: Columns, *extra: str) -> str:
    body = ", ".join([f"{column} {sql_type} {constraint}".rstrip() for column, sql_type, constraint in columns]
                     + list(extra))
    return f"CREATE TABLE IF NOT EXISTS {{schema}}.{name} ({body})"


def _as_of_view(name: str, periods: str, columns: Columns) -> str:
    # Unset (or set only in an earlier transaction, which leaves it empty) the date is NULL: no rows.
    day = f"nullif(current_setting('{AS_OF}', true), '')::date"
    return (f"CREATE OR REPLACE VIEW {{schema}}.{name} AS SELECT {', '.join(c for c, _, _ in columns)} "
            f"FROM {{schema}}.{periods} WHERE valid_from <= {day} AND valid_until > {day}")


_CREATE: Final = (
    _table(CASES, CASE_COLUMNS),
    _table(CASE_STATES, CASE_STATE_COLUMNS),
    f"CREATE INDEX IF NOT EXISTS {CASES}_region ON {{schema}}.{CASES} (region_code, name, id)",
    f"CREATE INDEX IF NOT EXISTS {CASES}_year ON {{schema}}.{CASES} (founded_year, region_code)",
    f"CREATE INDEX IF NOT EXISTS {CASES}_joint ON {{schema}}.{CASES} (region_code) "
    "WHERE joint_branch_id IS NOT NULL",
    # A committee's cases, wherever they are (its users' lists, queue and audit trail).
    f"CREATE INDEX IF NOT EXISTS {CASES}_committee ON {{schema}}.{CASES} (responsible_committee, region_code) "
    "WHERE responsible_committee IS NOT NULL",
    _table(MEMBERS, MEMBER_COLUMNS, "PRIMARY KEY (case_id, member_id)"),
    f"CREATE INDEX IF NOT EXISTS {MEMBERS}_birth ON {{schema}}.{MEMBERS} (birth_date, region_code)",
    # One transfer away (projections/transfers.py): a region's formal members by case, read from the index alone.
    f"CREATE INDEX IF NOT EXISTS {MEMBERS}_formal ON {{schema}}.{MEMBERS} (region_code, case_id) "
    "INCLUDE (relation_transferred) WHERE status = 'formal'",
    _table(AUDIT, AUDIT_COLUMNS, "PRIMARY KEY (case_id, sequence)"),
    # A page of a region's trail: its keys from this index (actor and dates filtered in it), in recorded
    # order; for a large region, the recorded order itself.
    f"CREATE INDEX IF NOT EXISTS {AUDIT}_region ON {{schema}}.{AUDIT} (region_code, occurred_on) "
    "INCLUDE (notification_id, sequence, actor)",
    f"CREATE INDEX IF NOT EXISTS {AUDIT}_order ON {{schema}}.{AUDIT} (notification_id)",
    _table(WORK_QUEUE, WORK_QUEUE_COLUMNS, "PRIMARY KEY (case_id, rule, subject)"),
    # A scope's queue in due order: its region range from this index, already sorted within a region
    # (the overdue ones are the earliest due, so one order serves both).
    f"CREATE INDEX IF NOT EXISTS {WORK_QUEUE}_region ON {{schema}}.{WORK_QUEUE} (region_code, due_on)",
    _table(BOARD_COUNTS, BOARD_COLUMNS, f"PRIMARY KEY ({', '.join(BOARD_KEY)})"),
    _table(REGION_COUNTS, REGION_COUNT_COLUMNS, "PRIMARY KEY (level, prefix, dimension, value)"),
    _table(CASE_PERIODS, CASE_PERIOD_COLUMNS, "PRIMARY KEY (id, valid_from)"),
    f"CREATE INDEX IF NOT EXISTS {CASE_PERIODS}_region ON {{schema}}.{CASE_PERIODS} (region_code, valid_from)",
    _table(MEMBER_PERIODS, MEMBER_PERIOD_COLUMNS, "PRIMARY KEY (case_id, member_id, valid_from)"),
    _as_of_view(CASES_AS_OF, CASE_PERIODS, CASE_COLUMNS),
    _as_of_view(MEMBERS_AS_OF, MEMBER_PERIODS, MEMBER_COLUMNS),
)


def create_statements(schema: str) -> list[str]:
    quoted = sql.Identifier(schema).as_string()
    return [statement.format(schema=quoted) for statement in _CREATE] + [
        f"COMMENT ON TABLE {quoted}.{CASES} IS '{LAYOUT}'"]


# What the rows hold for the same events: raised by every change that counts differently (domain.md's
# "Counting", an obligation, the periods `as_of` reads), so that read models counted the old way are made anew
# and rebuilt from the events at the next start, as tables of another layout are. 2: a case counts as of its
# first business date; a joint branch with no formal member left is no joint branch; 党建带团建 is owed only by
# a formed party organization (the review of issues 13, 15 and 17, 2026-12-02). 3: the summaries hold the
# development funnel (region_counts' dimension `funnel`), which statistics read instead of every case's row.
COUNTING_REVISION: Final = 3
# Written on `cases` when the tables are made: tables of another layout or counting (older code) are rebuilt.
LAYOUT: Final = ("branchflow read models " + hashlib.sha256("".join(_CREATE).encode()).hexdigest()[:16]
                 + f" counting {COUNTING_REVISION}")


def layout_query(schema: str) -> sql.Composed:
    """The layout the tables were made with (NULL without tables)."""
    return sql.SQL("SELECT obj_description(to_regclass({}), 'pg_class')").format(
        sql.Literal(sql.Identifier(schema, CASES).as_string()))


def drop_statement(schema: str) -> str:
    quoted = sql.Identifier(schema).as_string()
    return "DROP TABLE IF EXISTS " + ", ".join(f"{quoted}.{table}" for table in TABLES) + " CASCADE"  # views too


def region_prefixes(code: str) -> list[str]:
    """The summarized regions a code belongs to: '440403001001' -> ['44', '4404', '440403', '440403001']."""
    return [code[:level] for level in SUMMARY_LEVELS]


def region_range(prefix: str) -> tuple[str, str]:
    """[low, high) bounds of every code starting with the digit prefix: '4404' -> ('4404', '4405')."""
    if not prefix:
        return "", "\x7f"
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
