"""The wire layer: the one place that knows each endpoint of the NotifiedBy API.

For each endpoint it holds the path, the request's shape (one attrs class per request, whose
converters check the arguments before anything is sent), the call through
:class:`~notifiedby.client.NotifiedByClient`, and the decoding of the answer.

- :mod:`notifiedby._wire.base`: the argument checks (``clean_*``) and JSON helpers.
- :mod:`notifiedby._wire.email`: send (:class:`EmailPayload`), detail, delivery.
- :mod:`notifiedby._wire.flows`: subscribe, unsubscribe, delete subscriptions.
- :mod:`notifiedby._wire.lists`: one page of a list, and its decoding.
- :mod:`notifiedby._wire.recipients`: upsert, flags set and clear.

Only the managers and resource methods (:mod:`notifiedby.resources`) call it; everything
above them goes through them (see docs/architecture.md, and tests/test_architecture.py).
"""
