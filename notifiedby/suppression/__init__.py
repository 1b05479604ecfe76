"""The suppression list: addresses no email goes to (docs/tracking.md#suppression).

:class:`~notifiedby.suppression.models.Suppression` holds the list;
:func:`~notifiedby.suppression.lookup.suppressed` is what the email backends ask before a send.
Nothing here is imported with the package, so no database is touched at import.
"""
