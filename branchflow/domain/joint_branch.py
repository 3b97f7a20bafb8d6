"""Suggesting joint branches (联合组建): neighbours in region, close in industry, each under 3 members."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from branchflow.domain.organization import Organization
from branchflow.domain.rules import (
    SEED_THRESHOLDS,
    Thresholds,
    branch_members,
    can_join_joint_branch,
    joint_branch_violation,
)


def joint_branch_groupings(orgs: Iterable[Organization], t: Thresholds = SEED_THRESHOLDS) -> list[list[Organization]]:
    """Groups that could form a joint branch now: same street and industry section, together 3+ members.

    Greedy within each street and industry, members-richest first, so each group stays small (at most
    the threshold's organizations) and as many organizations as possible are covered.
    """
    neighbours: dict[tuple[str, str], list[Organization]] = defaultdict(list)
    for org in orgs:
        if can_join_joint_branch(org, t) is None and branch_members(org) > 0:
            neighbours[(org.region_code[:9], org.industry)].append(org)
    groups: list[list[Organization]] = []
    for _, candidates in sorted(neighbours.items()):
        formed: list[list[Organization]] = []
        group: list[Organization] = []
        for org in sorted(candidates, key=lambda o: (-branch_members(o), o.name)):
            group.append(org)
            if sum(branch_members(o) for o in group) >= t.branch_members:
                if joint_branch_violation(group, t) is None:
                    formed.append(group)
                group = []
            elif len(group) == t.joint_branch_max_organizations:
                group = []
        # Those left over join a group with room, smallest first, so that nobody is left out who could be in
        # one (7 one-member organizations: 4 + 3, not 3 + 3 and one left out).
        for org in group:
            roomy = [g for g in formed if len(g) < t.joint_branch_max_organizations]
            if roomy:
                min(roomy, key=len).append(org)
        groups.extend(formed)
    return groups
