"""A realistic demo district (珠海市斗门区) so that a new user sees full boards: `branchflow demo`.

`plan_demo` draws, from a seed alone, hundreds of organizations at every stage of the formation path, with
members of realistic ages, education and gender and business dates in the past; `load_demo` sends the plan
through the same `Commands` as the ledger import. Every command carries a `command_id` derived from the
plan, so loading the same plan again changes nothing.
"""

from __future__ import annotations

from branchflow.api.intake.demo.district import STREETS, demo_committees, demo_region_names
from branchflow.api.intake.demo.loading import DemoSummary, load_demo
from branchflow.api.intake.demo.plan import DemoPlan, PlannedCase, PlannedJointBranch, plan_demo

__all__ = ["STREETS", "DemoPlan", "DemoSummary", "PlannedCase", "PlannedJointBranch", "demo_committees",
           "demo_region_names", "load_demo", "plan_demo"]
