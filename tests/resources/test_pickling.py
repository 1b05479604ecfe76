"""Resources pickle without their client (for a cache or a task queue) and copy with it."""

from __future__ import annotations

import copy
import pickle

import pytest

from notifiedby import Email, Flow, NotifiedByClient, Recipient, Subscription
from notifiedby.resources import Resource
from notifiedby.sandbox import Sandbox
from tests.resources.conftest import pickled


@pytest.fixture
def resources(client: NotifiedByClient) -> list[Resource]:
    """One of each resource, as the API gave them, each holding ``client``."""
    alice = Recipient.objects.using(client).create(
        email="alice@example.com", first_name="Alice", flags=["vip"]
    )
    subscription = alice.subscribe("WELCOME_SIGNUP")
    sent = Email.objects.using(client).send(recipient=alice, subject="Hi", body="<p>Hi</p>")
    listed = Email.objects.using(client).get()  # from the list: no id
    return [alice, subscription, sent, listed, subscription.flow]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_resources_pickle_without_their_client(
    resources: list[Resource], client: NotifiedByClient, protocol: int
) -> None:
    for resource in resources:
        assert resource._client is client  # the lock and the session it holds don't pickle

        loaded = pickled(resource, protocol)

        assert type(loaded) is type(resource)
        assert loaded.to_dict() == resource.to_dict()
        assert repr(loaded) == repr(resource)
        assert loaded._client is None
        # An email read from the list has no id, so it is equal only to itself.
        assert (loaded == resource) is (resource._identity() is not None)


def test_an_unpickled_resource_uses_the_default_client(
    resources: list[Resource], sandbox_env: Sandbox
) -> None:
    alice, subscription = (pickled(r) for r in resources[:2])
    assert isinstance(alice, Recipient)
    assert isinstance(subscription, Subscription)

    alice.flags.add("premium")
    subscription.cancel()

    (stored,) = sandbox_env.recipients
    assert stored["flags"] == ["vip", "premium"]
    assert subscription.status == "cancelled"
    assert alice.subscriptions.get().status == "cancelled"


def test_using_binds_an_unpickled_resource_to_a_client(
    resources: list[Resource], client: NotifiedByClient, sandbox: Sandbox
) -> None:
    loaded = pickled(resources[0])
    assert isinstance(loaded, Recipient)

    bound = loaded.using(client)  # no default client is configured: this one is used

    assert bound._client is client
    assert loaded._client is None
    assert bound == loaded
    bound.flags.add("premium")
    assert list(loaded.flags) == ["vip"]  # a copy: the flags list is not shared
    assert bound.subscriptions.count() == 1


def test_copies_keep_the_client(resources: list[Resource], client: NotifiedByClient) -> None:
    alice = resources[0]
    assert isinstance(alice, Recipient)

    shallow, deep = copy.copy(alice), copy.deepcopy(alice)

    assert shallow._client is client
    assert deep._client is client
    assert shallow.to_dict() == deep.to_dict() == alice.to_dict()
    deep.flags.add("premium")
    assert list(alice.flags) == ["vip"]
    copies = copy.deepcopy(resources)
    assert [c.to_dict() for c in copies] == [r.to_dict() for r in resources]
    assert all(c._client is client for c in copies)


def test_a_flow_handle_pickles_and_keeps_its_name(client: NotifiedByClient) -> None:
    flow = Flow.objects.using(client).get(trigger="WELCOME_SIGNUP")
    flow.name = "Welcome"

    loaded = pickled(flow)

    assert (loaded.trigger, loaded.name, loaded._client) == ("WELCOME_SIGNUP", "Welcome", None)
