"""manage.py notifiedby_sync_recipients: users to recipients, with a checkpoint to resume."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from notifiedby.sandbox import Sandbox


@pytest.fixture
def api(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", sandbox.api_key)
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)
    return sandbox


def make_users(*emails: str, active: bool = True) -> list[Any]:
    user_model = get_user_model()
    return [
        user_model.objects.create(
            username=f"u{n}-{email}", email=email, first_name=f"F{n}", is_active=active
        )
        for n, email in enumerate(emails)
    ]


def sync(checkpoint: Path, *args: str) -> str:
    out = StringIO()
    call_command("notifiedby_sync_recipients", "--checkpoint", str(checkpoint), *args, stdout=out)
    return out.getvalue()


def emails(sandbox: Sandbox) -> list[str]:
    return sorted(r["email"] for r in sandbox.recipients)


@pytest.mark.usefixtures("db")
def test_active_users_with_an_address_become_recipients(api: Sandbox, tmp_path: Path) -> None:
    make_users("a@example.com", "b@example.com", "")
    make_users("gone@example.com", active=False)
    checkpoint = tmp_path / "sync.checkpoint"
    out = sync(checkpoint, "--concurrency", "2")
    assert emails(api) == ["a@example.com", "b@example.com"]
    assert {r["first_name"] for r in api.recipients} == {"F0", "F1"}
    assert "] 3/3 100%" in out  # the progress bar reached the end
    assert "Synced 2 recipients, 0 failed, 1 users skipped" in out
    assert not checkpoint.exists()  # finished: nothing to resume


def to_recipient(user: Any) -> dict[str, Any]:
    return {"email": user.email, "flags": ["from_django", "staff" if user.is_staff else "user"]}


@pytest.mark.usefixtures("db")
def test_the_setting_maps_users_to_recipients(api: Sandbox, tmp_path: Path) -> None:
    make_users("a@example.com")
    path = f"{__name__}.to_recipient"
    with override_settings(NOTIFIEDBY_SYNC_RECIPIENT=path):
        sync(tmp_path / "cp", "--no-progress")
    assert api.recipients[0]["flags"] == ["from_django", "user"]


@pytest.mark.usefixtures("db")
def test_failures_are_listed_and_a_resume_starts_after_the_last_user_done(
    api: Sandbox, tmp_path: Path
) -> None:
    users = make_users("a@example.com", "not-an-address", "c@example.com")
    checkpoint = tmp_path / "cp"
    err = StringIO()
    with pytest.raises(CommandError, match="1 recipients failed"):
        call_command(
            "notifiedby_sync_recipients", "--checkpoint", str(checkpoint), stdout=StringIO(),
            stderr=err,
        )  # fmt: skip
    assert "not-an-address" in err.getvalue()
    assert json.loads(checkpoint.read_text()) == {"last_pk": users[2].pk}
    make_users("later@example.com")
    out = sync(checkpoint, "--resume", "--no-progress")
    assert f"Resuming after the user with primary key {users[2].pk}" in out
    assert "Synced 1 recipients" in out
    assert emails(api) == ["a@example.com", "c@example.com", "later@example.com"]


@pytest.mark.usefixtures("db")
def test_resume_without_a_checkpoint_starts_from_the_first_user(
    api: Sandbox, tmp_path: Path
) -> None:
    make_users("a@example.com")
    out = sync(tmp_path / "missing", "--resume", "--no-progress")
    assert "starting from the first user" in out
    assert emails(api) == ["a@example.com"]
