"""The async twins: thin wrappers that run the same sync code off the event loop."""

from __future__ import annotations

import asyncio

from notifiedby import Email, Flow, NotifiedByClient, Recipient, Subscription
from tests.resources.conftest import make_recipients


def test_async_twins(client: NotifiedByClient) -> None:
    emails = make_recipients(client, 3)

    async def main() -> None:
        qs = Recipient.objects.using(client).all()
        assert await qs.acount() == 3
        assert await qs.aexists()
        first = await qs.afirst()
        assert first is not None
        assert first.email == emails[0]
        found = await Recipient.objects.using(client).aget(email=emails[2])
        assert found.email == emails[2]
        assert [r.email async for r in qs] == emails
        created = await Recipient.objects.using(client).acreate(email="new@example.com")
        assert created.sqid
        sub = await Flow.objects.using(client).get(trigger="WELCOME_SIGNUP").asubscribe(created)
        assert await Subscription.objects.using(client).filter(status="active").afirst() == sub
        sent = await Email.objects.using(client).asend(recipient=created, subject="s", body="b")
        assert sent.id

    asyncio.run(main())
