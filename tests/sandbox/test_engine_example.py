"""examples/drip_campaign.py runs as documented and tells the story of its flow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "drip_campaign.py"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the example's flows file is TOML")
def test_the_drip_campaign_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "delivered  ada@example.com      Welcome aboard, Ada!" in out
    assert "bounced    bounce@example.com   Welcome aboard, Bo!" in out
    assert "failed     bounce@example.com   Three tips to get started, Bo" in out
    assert "delivered  alan@example.com     Three tips to get started, Alan" in out
    assert "Three tips to get started, Ada" not in out
    assert "...delivered" in out
    final = out[out.index("== Five days later") :]
    assert "ada@example.com      completed  step 7" in final
    assert "alan@example.com     completed  step 6" in final
