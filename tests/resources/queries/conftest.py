"""Fixtures of the queryset tests: PEOPLE in the sandbox, and the server's two behaviours."""

from __future__ import annotations

import pytest

from notifiedby import Recipient
from notifiedby.sandbox import Sandbox
from tests.resources.queries._people import MODES, seed_people


@pytest.fixture
def people(sandbox: Sandbox) -> list[Recipient]:
    """PEOPLE, stored in the sandbox, as the API lists them."""
    return seed_people(sandbox)


@pytest.fixture(params=list(MODES))
def mode(request: pytest.FixtureRequest, sandbox: Sandbox) -> str:
    """Run the test twice: the server honours filters and page sizes, then ignores both."""
    name: str = request.param
    sandbox.configure(**MODES[name])
    return name
