"""Custom search attributes: list cases by stage, region and overdue deadlines in the Temporal CLI and UI.

`temporal workflow list --query "Stage='FORMAL_BRANCH' AND RegionCode='440403001001'"`. Their values
are stored unencrypted by Temporal: no names, birth dates or any other personal data go in here.
"""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.service import RPCError, RPCStatusCode

from branchflow.workflows.case_state import CaseState

STAGE = SearchAttributeKey.for_keyword("Stage")
REGION_CODE = SearchAttributeKey.for_keyword("RegionCode")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[Any], ...] = (STAGE, REGION_CODE, OVERDUE)

# As `temporal server start-dev --search-attribute NAME=TYPE` spells them.
CLI_TYPES = {"Stage": "Keyword", "RegionCode": "Keyword", "Overdue": "Bool"}


def search_values(view: CaseState) -> tuple[str, str, bool]:
    return view.stage.value, view.region_code, any(o.overdue for o in view.obligations)


def search_updates(values: tuple[str, str, bool], published: tuple[str, str, bool] | None = None
                   ) -> list[SearchAttributeUpdate[Any]]:
    """The upserts that set `values`: those that differ from `published` (all of them without it)."""
    stage, region_code, overdue = values
    updates: list[SearchAttributeUpdate[Any]] = [STAGE.value_set(stage), REGION_CODE.value_set(region_code),
                                                 OVERDUE.value_set(overdue)]
    if published is None:
        return updates
    return [update for i, update in enumerate(updates) if values[i] != published[i]]


async def register_search_attributes(client: Client) -> None:
    """Adds the attributes to the client's namespace where they are missing (a cluster, the test server)."""
    types = {"Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL}
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace))
        known = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as e:
        if e.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server cannot list them
            raise
        known = set()
    missing = {name: types[kind] for name, kind in CLI_TYPES.items() if name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing))
