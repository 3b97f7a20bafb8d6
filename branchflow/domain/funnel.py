"""The development funnel (发展党员 by stage and focus group): what one case adds, for the statistics.

Each person in development counts at their stage; each person developed here and admitted counts as a new
member, probationary or formal, while present. A withdrawn candidate, a cancelled probation or a member who
left counts nowhere. Replayed to a past date (`as_of.case_as_of`), the same function gives the funnel then.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from branchflow.domain.organization import Organization

# The funnel's stages, first to last: the development stages, then the new members by their status.
FUNNEL_STAGES: Final = ("applicant", "activist", "development_target", "awaiting_approval", "probationary",
                        "formal")
UNTAGGED: Final = "untagged"  # a candidate whose focus group was never tagged


def development_funnel(org: Organization) -> Counter[tuple[str, str]]:
    """(stage, focus group) -> people of this case there now; nothing for a closed case."""
    found: Counter[tuple[str, str]] = Counter()
    if org.closed_on is not None:
        return found
    for c in org.candidates.values():
        group = c.focus_group or UNTAGGED
        if c.in_development:
            found[(c.stage.value, group)] += 1
            continue
        m = org.members.get(c.id)
        if m is not None and m.present and c.voted_on is not None and m.admitted_on == c.voted_on:
            found[(m.status.value, group)] += 1  # admitted through this case's development
    return found


def encoded(funnel: Counter[tuple[str, str]]) -> str:
    """The row's text form, `stage:group:n` comma-separated in a fixed order ('' for none)."""
    return ",".join(f"{stage}:{group}:{n}" for (stage, group), n in sorted(funnel.items()) if n)
