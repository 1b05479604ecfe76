"""The proxy and TLS settings requests takes from the environment are read once per session."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from notifiedby import NotifiedByClient
from notifiedby.sandbox import Sandbox


def test_environment_settings_are_read_once_per_session(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    merge = requests.Session.merge_environment_settings

    def counting(self: requests.Session, url: Any, *args: Any) -> Any:
        reads.append(url)
        return merge(self, url, *args)

    monkeypatch.setattr(requests.Session, "merge_environment_settings", counting)
    with NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
        for _ in range(3):
            client.get("/recipients/")
        assert len(reads) == 1
        client.close()  # a new session reads them again
        client.get("/recipients/")
        assert len(reads) == 2
