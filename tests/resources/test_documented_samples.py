"""Every code sample of the package documentation, run as written against the sandbox.

The samples are copied verbatim from the documentation (docs/functions.md holds them too,
and a test checks that it still does). Documented code passes no client, so these tests
point the default client at the sandbox through environment variables; the signal sample
runs in a child process with real Django settings, as a project would.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from notifiedby import Email
from notifiedby.sandbox import Sandbox

DOCS = Path(__file__).resolve().parents[2] / "docs" / "functions.md"

SUBSCRIBE = """\
from notifiedby import subscribe_to_flow

subscribe_to_flow(
    flow_trigger='WELCOME_SIGNUP',
    email='user@example.com',
    first_name='John',
    last_name='Doe',
    flags=['new_user', 'free_plan']
)
"""

SIGNAL = """\
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.contrib.auth.models import User
from notifiedby import subscribe_to_flow

@receiver(post_save, sender=User)
def on_user_created(sender, instance, created, **kwargs):
    if created:
        subscribe_to_flow(
            flow_trigger='WELCOME_SIGNUP',
            email=instance.email,
            first_name=instance.first_name,
            last_name=instance.last_name,
        )
"""

UNSUBSCRIBE = """\
from notifiedby import unsubscribe_from_flow

unsubscribe_from_flow(
    flow_trigger='WELCOME_SIGNUP',
    email='user@example.com'
)
"""

LIST_SUBSCRIPTIONS = """\
from notifiedby import list_flow_subscriptions

result = list_flow_subscriptions(page=1)

print(f"Total subscriptions: {result['count']}")

for sub in result['results']:
    print(f"{sub['recipient_email']} - {sub['flow_name']} ({sub['status']})")
"""

DELETE_ALL = """\
from notifiedby import delete_all_subscriptions

delete_all_subscriptions()
"""

CREATE_RECIPIENT = """\
from notifiedby import create_recipient

recipient = create_recipient(
    email='user@example.com',
    first_name='John',
    last_name='Doe',
    flags=['premium', 'active']
)
"""

LIST_RECIPIENTS = """\
from notifiedby import list_recipients

recipients = list_recipients()
for r in recipients:
    print(f"{r['email']} - {r['first_name']} {r['last_name']}")
"""

SET_FLAGS = """\
from notifiedby import set_recipient_flags

set_recipient_flags(
    email='user@example.com',
    flags=['premium', 'onboarded']
)
"""

CLEAR_FLAGS = """\
from notifiedby import clear_recipient_flags

clear_recipient_flags(
    email='user@example.com',
    flags=['trial']
)
"""

QUERY_EMAILS = """\
from notifiedby import get_email_detail, list_emails, get_delivery_status

# Get details of a specific email by ID
email = get_email_detail(email_id='JDT')

# List sent emails (paginated)
emails = list_emails(page=1)

# Get delivery status of a specific email
status = get_delivery_status(email_id='JDT')
"""

ERROR_HANDLING = """\
from notifiedby import subscribe_to_flow
from notifiedby.exceptions import (
    NotifiedByError,
    NotifiedByConfigError,
    NotifiedByAPIError,
    NotifiedByValidationError,
    NotifiedByAuthError,
    NotifiedByNotFoundError,
)

try:
    subscribe_to_flow(
        flow_trigger='WELCOME_SIGNUP',
        email='user@example.com',
    )
except NotifiedByConfigError:
    # Missing API key in Django settings
    print("Check your NOTIFIEDBY_API_KEY setting")
except NotifiedByValidationError as e:
    # Bad request (400) - e.g. flow not found, already subscribed
    print(f"Validation error: {e}")
except NotifiedByAuthError:
    # Authentication failed (401/403)
    print("Invalid API key or feature not enabled")
except NotifiedByNotFoundError:
    # Resource not found (404)
    print("Not found")
except NotifiedByAPIError as e:
    # Other API error
    print(f"API error ({e.status_code}): {e}")
except NotifiedByError:
    # Network or other error
    print("Something went wrong")
"""

CUSTOM_CLIENT = """\
from notifiedby import NotifiedByClient, subscribe_to_flow

client = NotifiedByClient(
    api_key='your-other-api-key',
    base_url='http://localhost:8000'
)

subscribe_to_flow(
    flow_trigger='WELCOME_SIGNUP',
    email='test@example.com',
    client=client
)
"""

COMPLETE_EXAMPLE = """\
from notifiedby import (
    subscribe_to_flow,
    unsubscribe_from_flow,
    set_recipient_flags,
    clear_recipient_flags,
)

# When a user signs up
def on_user_signup(user):
    subscribe_to_flow(
        flow_trigger='WELCOME_SIGNUP',
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        flags=['free_plan'],
    )

# When a user upgrades to premium
def on_user_upgrade(user):
    set_recipient_flags(email=user.email, flags=['premium'])
    clear_recipient_flags(email=user.email, flags=['free_plan'])
    subscribe_to_flow(
        flow_trigger='PREMIUM_ONBOARDING',
        email=user.email,
    )

# When a user cancels
def on_user_cancel(user):
    unsubscribe_from_flow(
        flow_trigger='PREMIUM_ONBOARDING',
        email=user.email,
    )
    subscribe_to_flow(
        flow_trigger='REENGAGE_INACTIVE',
        email=user.email,
    )
"""

ALL_SAMPLES = [
    SUBSCRIBE,
    SIGNAL,
    UNSUBSCRIBE,
    LIST_SUBSCRIPTIONS,
    DELETE_ALL,
    CREATE_RECIPIENT,
    LIST_RECIPIENTS,
    SET_FLAGS,
    CLEAR_FLAGS,
    QUERY_EMAILS,
    ERROR_HANDLING,
    CUSTOM_CLIENT,
    COMPLETE_EXAMPLE,
]


def run(sample: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "sample"}
    exec(compile(sample, "<documented sample>", "exec"), namespace)  # noqa: S102
    return namespace


def recipient(sandbox: Sandbox, email: str) -> dict[str, Any]:
    (found,) = [r for r in sandbox.recipients if r["email"] == email]
    return found


def statuses(sandbox: Sandbox, email: str) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for sub in sandbox.subscriptions:
        if sub["recipient_email"] == email:
            result.setdefault(sub["flow_trigger"], []).append(sub["status"])
    return result


def test_every_sample_is_in_the_function_guide() -> None:
    guide = DOCS.read_text()
    for sample in ALL_SAMPLES:
        assert sample in guide


def test_subscribe(sandbox_env: Sandbox) -> None:
    run(SUBSCRIBE)
    assert statuses(sandbox_env, "user@example.com") == {"WELCOME_SIGNUP": ["active"]}
    user = recipient(sandbox_env, "user@example.com")
    assert (user["first_name"], user["last_name"]) == ("John", "Doe")
    assert set(user["flags"]) == {"new_user", "free_plan"}


def test_signal_pattern_with_django_settings(sandbox: Sandbox, tmp_path: Path) -> None:
    # Django settings can be configured once per process, so a child process plays the
    # project: settings.py holds the key, as the documentation's Configuration section says.
    script = tmp_path / "project.py"
    script.write_text(
        textwrap.dedent(
            """
            import os
            import django
            from django.conf import settings

            settings.configure(
                INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "notifiedby"],
                DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
                # Django 6.1 deprecates EMAIL_BACKEND for MAILERS.
                **(
                    {"MAILERS": {"default": {"BACKEND": "notifiedby.NotifiedByEmailBackend"}}}
                    if django.VERSION >= (6, 1)
                    else {"EMAIL_BACKEND": "notifiedby.NotifiedByEmailBackend"}
                ),
                NOTIFIEDBY_API_KEY=os.environ["SANDBOX_KEY"],
                NOTIFIEDBY_BASE_URL=os.environ["SANDBOX_URL"],
            )
            django.setup()
            from django.core.management import call_command

            call_command("migrate", verbosity=0, skip_checks=True)
            exec(os.environ["SAMPLE"])
            from django.contrib.auth.models import User

            User.objects.create_user(
                "carol", email="carol@example.com", first_name="Carol", last_name="Jones"
            )
            User.objects.get(username="carol").save()  # not created: no second subscribe
            """
        )
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("NOTIFIEDBY_")}
    env.update(SANDBOX_KEY=sandbox.api_key, SANDBOX_URL=sandbox.url, SAMPLE=SIGNAL)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert statuses(sandbox, "carol@example.com") == {"WELCOME_SIGNUP": ["active"]}
    carol = recipient(sandbox, "carol@example.com")
    assert (carol["first_name"], carol["last_name"]) == ("Carol", "Jones")


def test_unsubscribe(sandbox_env: Sandbox) -> None:
    run(SUBSCRIBE)
    run(UNSUBSCRIBE)
    assert statuses(sandbox_env, "user@example.com") == {"WELCOME_SIGNUP": ["cancelled"]}


def test_list_subscriptions(sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    run(SUBSCRIBE)
    namespace = run(LIST_SUBSCRIPTIONS)
    assert namespace["result"]["count"] == 1
    assert capsys.readouterr().out == (
        "Total subscriptions: 1\nuser@example.com - Welcome Signup Flow (active)\n"
    )


def test_list_subscriptions_from_a_server_that_answers_a_bare_list(
    sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_env.configure(bare_subscription_list=True)
    run(SUBSCRIBE)
    namespace = run(LIST_SUBSCRIPTIONS)
    assert namespace["result"]["count"] == 1
    assert namespace["result"]["next"] is None
    assert "user@example.com - Welcome Signup Flow (active)" in capsys.readouterr().out


def test_delete_all(sandbox_env: Sandbox) -> None:
    run(SUBSCRIBE)
    run(COMPLETE_EXAMPLE)["on_user_signup"](
        SimpleNamespace(email="ann@example.com", first_name="Ann", last_name="Lee")
    )
    assert len(sandbox_env.subscriptions) == 2
    run(DELETE_ALL)
    assert sandbox_env.subscriptions == []


def test_create_recipient(sandbox_env: Sandbox) -> None:
    namespace = run(CREATE_RECIPIENT)
    user = recipient(sandbox_env, "user@example.com")
    assert (user["first_name"], user["last_name"]) == ("John", "Doe")
    assert set(user["flags"]) == {"premium", "active"}
    assert namespace["recipient"]["email"] == "user@example.com"
    assert namespace["recipient"]["sqid"] == user["sqid"]


def test_create_recipient_updates_a_known_one(sandbox_env: Sandbox) -> None:
    run(SUBSCRIBE)
    run(CREATE_RECIPIENT)
    (user,) = sandbox_env.recipients
    assert set(user["flags"]) == {"new_user", "free_plan", "premium", "active"}


def test_list_recipients(sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    run(CREATE_RECIPIENT)
    run(COMPLETE_EXAMPLE)["on_user_signup"](
        SimpleNamespace(email="ann@example.com", first_name="Ann", last_name="Lee")
    )
    run(LIST_RECIPIENTS)
    assert capsys.readouterr().out == "user@example.com - John Doe\nann@example.com - Ann Lee\n"


def test_list_recipients_reads_every_page(
    sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_env.configure(ignore_page_size=True, page_size=2)
    for name in ("a", "b", "c", "d", "e"):
        run(CREATE_RECIPIENT.replace("user@", f"{name}@"))
    run(LIST_RECIPIENTS)
    assert capsys.readouterr().out.count(" - John Doe\n") == 5


def test_set_and_clear_flags(sandbox_env: Sandbox) -> None:
    run(SUBSCRIBE)
    run(SET_FLAGS)
    assert set(recipient(sandbox_env, "user@example.com")["flags"]) == {
        "new_user",
        "free_plan",
        "premium",
        "onboarded",
    }
    run(SET_FLAGS.replace("['premium', 'onboarded']", "['trial']"))
    run(CLEAR_FLAGS)
    assert "trial" not in recipient(sandbox_env, "user@example.com")["flags"]


def test_query_sent_emails(sandbox_env: Sandbox) -> None:
    sent = Email.objects.send(recipient="user@example.com", subject="Hello", body="<p>Hi</p>")
    # 'JDT' stands for an id the API gave; the sandbox makes its own, so use the real one.
    namespace = run(QUERY_EMAILS.replace("'JDT'", repr(sent.id)))
    assert namespace["email"]["subject"] == "Hello"
    assert namespace["email"]["body"] == "<p>Hi</p>"
    assert namespace["emails"]["count"] == 1
    assert namespace["emails"]["results"][0]["recipient"] == "user@example.com"
    assert namespace["status"] == {
        "id": sent.id,
        "status": "delivered",
        "ses_id": sandbox_env.emails[0].ses_id,
    }


def test_error_handling_success_and_validation(
    sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ERROR_HANDLING)
    assert capsys.readouterr().out == ""
    assert statuses(sandbox_env, "user@example.com") == {"WELCOME_SIGNUP": ["active"]}
    run(ERROR_HANDLING)  # already subscribed: the API answers 400
    assert capsys.readouterr().out.startswith("Validation error: Recipient 'user@example.com'")


def test_error_handling_configuration_and_auth(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)
    run(ERROR_HANDLING)
    assert capsys.readouterr().out == "Check your NOTIFIEDBY_API_KEY setting\n"
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", "wrong-key")
    run(ERROR_HANDLING)
    assert capsys.readouterr().out == "Invalid API key or feature not enabled\n"
    assert sandbox.subscriptions == []


def test_error_handling_network_failure(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", sandbox.api_key)
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)
    monkeypatch.setenv("NOTIFIEDBY_MAX_RETRIES", "0")
    sandbox.inject_fault(drop=True)
    run(ERROR_HANDLING)
    assert capsys.readouterr().out == "Something went wrong\n"


def test_custom_client() -> None:
    # As written: a server on localhost:8000 that accepts 'your-other-api-key'.
    with contextlib.ExitStack() as stack:
        try:
            other = stack.enter_context(Sandbox(api_keys=["your-other-api-key"], port=8000))
        except OSError:
            pytest.skip("port 8000 is in use, and the sample names it")
        run(CUSTOM_CLIENT)
        assert statuses(other, "test@example.com") == {"WELCOME_SIGNUP": ["active"]}


def test_complete_example(sandbox_env: Sandbox) -> None:
    namespace = run(COMPLETE_EXAMPLE)
    user = SimpleNamespace(email="dana@example.com", first_name="Dana", last_name="Kim")

    namespace["on_user_signup"](user)
    assert statuses(sandbox_env, user.email) == {"WELCOME_SIGNUP": ["active"]}
    assert recipient(sandbox_env, user.email)["flags"] == ["free_plan"]

    namespace["on_user_upgrade"](user)
    assert recipient(sandbox_env, user.email)["flags"] == ["premium"]
    assert statuses(sandbox_env, user.email)["PREMIUM_ONBOARDING"] == ["active"]

    namespace["on_user_cancel"](user)
    assert statuses(sandbox_env, user.email) == {
        "WELCOME_SIGNUP": ["active"],
        "PREMIUM_ONBOARDING": ["cancelled"],
        "REENGAGE_INACTIVE": ["active"],
    }
