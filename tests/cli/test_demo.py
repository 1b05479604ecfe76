"""What ``notifiedby demo`` prints is for people: no missing values, readable times."""

from __future__ import annotations

import re

import pytest

from notifiedby.cli import main


def test_the_demo_prints_no_none_and_readable_times(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo"])

    out = capsys.readouterr().out
    assert code == 0
    assert "None" not in out
    # Times to the minute in UTC, never ISO-8601 with seconds, fractions or an offset.
    assert re.search(r"next step due \d{4}-\d\d-\d\d \d\d:\d\d UTC\n", out)
    assert re.search(
        r"\n   \d{4}-\d\d-\d\d \d\d:\d\d UTC 'Your invoice' to alice@example.com\n", out
    )
    assert not re.search(r"\d\d:\d\d:\d\d", out)
