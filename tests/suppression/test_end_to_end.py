"""From a bounce to a refused send: the sandbox bounces, the poller signals, the list grows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifiedby import NotifiedByClient
from notifiedby.exceptions import NotifiedByRecipientsRefused
from notifiedby.models import Suppression, TrackedEmail
from notifiedby.sandbox import Sandbox
from notifiedby.tracking.poller import Poller

pytestmark = pytest.mark.usefixtures("db")


def test_a_bounce_the_poller_sees_stops_the_next_send(mail_sandbox: Sandbox) -> None:
    TrackedEmail.objects.all().delete()  # rows other tests of this process committed
    mail.EmailMessage("Your order", "It shipped.", to=["bounce@example.com"]).send()
    later = timezone.now() + timedelta(minutes=2)  # past the first check's time
    with NotifiedByClient(api_key=mail_sandbox.api_key, base_url=mail_sandbox.url) as client:
        assert Poller(client=client, clock=lambda: later, rate=1000.0).poll() == {"bounced": 1}

    entry = Suppression.objects.get()
    assert (entry.address, entry.reason, entry.source) == (
        "bounce@example.com",
        "bounced",
        "tracking",
    )
    requests = len(mail_sandbox.requests)
    with pytest.raises(NotifiedByRecipientsRefused):
        mail.EmailMessage("Your order", "Again.", to=["Bounce@Example.com"]).send()
    assert len(mail_sandbox.requests) == requests
