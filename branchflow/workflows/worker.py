"""The worker's construction: the workflows and the activities on task queue "branchflow".

The process that runs it is `branchflow.runtime.worker`, which passes in runtime.settings' values:
BRANCHFLOW_WORKFLOW_CACHE bounds the workflows kept in memory (the rest wait in Temporal: their timers live on
the server) and BRANCHFLOW_ACTIVITY_THREADS sizes the pool the synchronous activities run in. Workflow code
runs outside Temporal's sandbox unless BRANCHFLOW_WORKFLOW_SANDBOX=on (see `SANDBOXED`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from branchflow.domain.application import FormationApplication
from branchflow.workflows.activities import FormationActivities
from branchflow.workflows.config import TASK_QUEUE
from branchflow.workflows.development import MemberDevelopmentWorkflow
from branchflow.workflows.formation import FormationWorkflow
from branchflow.workflows.joint_branch import JointBranchWorkflow
from branchflow.workflows.reservations import ReservationActivities
from branchflow.workflows.visits import skip_empty_visits

# Off: a workflow instance built again (its case had left the cache) costs the worker 7 instead of 14 ms of CPU,
# a step on such a case 15-24 instead of 24-29 ms, and a cached workflow holds 98 instead of 168 KB (the
# benchmark's cases, 2-core machine). What is given up is the sandbox's checks at run time: the replay tests
# (tests/workflows) still replay every history in the sandbox, so workflow code that reads the clock or does
# I/O fails there. BRANCHFLOW_WORKFLOW_SANDBOX=on brings it back.
SANDBOXED = False
# 4,000 × 98 KB ≈ 390 MB on a 90 MB worker (≈ 760 MB with the sandbox on): within 1 GB whatever the number of
# open cases, the rest waiting in Temporal. It was 2,000 with the sandbox's 168 KB.
DEFAULT_WORKFLOW_CACHE = 4000
DEFAULT_ACTIVITY_THREADS = 16
# The worker is its cases' single writer: it may keep the aggregates it wrote in memory. The cache
# fast-forwards from the store before each command, so a case that moved to another worker stays exact.
DEFAULT_AGGREGATE_CACHE = 2000


def build_worker(
    client: Client, app: FormationApplication, *, task_queue: str = TASK_QUEUE,
    max_cached_workflows: int = DEFAULT_WORKFLOW_CACHE, activity_threads: int = DEFAULT_ACTIVITY_THREADS,
    delay_after_save: float = 0.0, delay_after_reminder: float = 0.0, sandboxed: bool = SANDBOXED,
    key: bytes | None = None,
) -> Worker:
    """`client` must use the pydantic data converter (`config.connect` gives one)."""
    skip_empty_visits()  # nothing to decode or encode in our payloads: no walk through them (visits.py)
    formation = FormationActivities(app, delay_after_save=delay_after_save, delay_after_reminder=delay_after_reminder,
                                    key=key)
    reservations = ReservationActivities(client)
    return Worker(
        client, task_queue=task_queue,
        workflows=[FormationWorkflow, MemberDevelopmentWorkflow, JointBranchWorkflow],
        activities=[formation.register, formation.perform, formation.load, formation.escalate, formation.remind,
                    formation.form_joint_branch, reservations.reserve, reservations.release],
        activity_executor=ThreadPoolExecutor(activity_threads, thread_name_prefix="activity"),
        max_concurrent_activities=activity_threads, max_concurrent_local_activities=activity_threads,
        max_cached_workflows=max_cached_workflows,
        workflow_runner=SandboxedWorkflowRunner() if sandboxed else UnsandboxedWorkflowRunner(),
    )


