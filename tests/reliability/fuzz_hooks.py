"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.reliability.fuzz_hooks) for what a JSON Schema cannot say:
the schema names the format `credit-code` (GB 32100's check character), and these values are drawn for it."""

from __future__ import annotations

from datetime import date

import schemathesis
from hypothesis import strategies as st

from branchflow.domain.values import CREDIT_CODE_CHARSET, make_credit_code

# Authority "Y" (其他) fits either kind of organization, so a drawn code never contradicts the body's `kind`.
CREDIT_CODES = st.builds(
    lambda body, rest: make_credit_code("Y1" + body + rest),
    st.text("0123456789", min_size=6, max_size=6), st.text(CREDIT_CODE_CHARSET, min_size=9, max_size=9))

schemathesis.openapi.format("credit-code", CREDIT_CODES)

# Business dates run from 1949-10-01 to today (birth dates from 1900, so these fit them too); a JSON Schema
# cannot name "today", and a date outside is refused with 422 as the schema cannot show.
schemathesis.openapi.format("date", st.dates(date(1949, 10, 1), date.today()).map(date.isoformat))
