"""Read models built from the event store's notification log: status boards, case list, audit trail,
statistics and the work ledger.

`Projector` keeps the tables up to date (exactly once, in batches); the query functions read them with a
psycopg connection whose search path finds the tables (the event store's schema, `public` by default).
"""

from branchflow.projections.audit import AuditEntry, AuditPage, audit_trail
from branchflow.projections.board import BoardFigures, Scope, StatusBoard, status_board
from branchflow.projections.case_list import CaseFilters, CasePage, CaseSummary, case_list
from branchflow.projections.ledger import LedgerRow, ledger_csv, ledger_rows, ledger_xlsx
from branchflow.projections.runner import Projector, lag
from branchflow.projections.statistics import MemberFigures, PartyOrganizations, Statistics, statistics
from branchflow.projections.transfers import OneTransferAway, one_transfer_away
from branchflow.projections.work_queue import QueueCounts, QueueItem, WorkQueue, queue_counts, work_queue

__all__ = [
    "AuditEntry",
    "AuditPage",
    "BoardFigures",
    "CaseFilters",
    "CasePage",
    "CaseSummary",
    "LedgerRow",
    "MemberFigures",
    "OneTransferAway",
    "PartyOrganizations",
    "Projector",
    "QueueCounts",
    "QueueItem",
    "Scope",
    "Statistics",
    "StatusBoard",
    "WorkQueue",
    "audit_trail",
    "case_list",
    "lag",
    "ledger_csv",
    "ledger_rows",
    "ledger_xlsx",
    "one_transfer_away",
    "queue_counts",
    "statistics",
    "status_board",
    "work_queue",
]
