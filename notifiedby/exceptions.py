"""Every error the SDK raises, in one hierarchy.

::

    NotifiedByError                       anything that went wrong; catch this to catch all
    ├── NotifiedByConfigError             missing or invalid settings (also ImproperlyConfigured)
    ├── NotifiedByUnsupportedFeature      a message has what the API can't carry (ValueError)
    ├── NotifiedByConnectionError         the request did not get an answer
    │   └── NotifiedByTimeoutError        ... because a timeout expired
    │       ├── NotifiedByDeadlineExceeded .. the whole call outlived its deadline
    │       └── NotifiedByDeliveryTimeout ... wait_for_delivery() gave up while still pending
    ├── NotifiedByAPIError                the API answered with an error status
    │   ├── NotifiedByValidationError     400, or bad input caught before sending (ValueError)
    │   │   └── NotifiedByInvalidArgument .. bad input, refused before any request (status None)
    │   ├── NotifiedByAuthError           401 or 403
    │   ├── NotifiedByNotFoundError       404
    │   ├── NotifiedByRateLimitError      429 (retry_after, daily_quota)
    │   └── NotifiedByServerError         5xx
    ├── NotifiedByRecipientBlocked        a send was accepted but the recipient is blocked
    ├── NotifiedByRecipientsRefused       every address of a Django message was refused
    ├── ObjectDoesNotExist                a get() found nothing (each model's DoesNotExist)
    └── MultipleObjectsReturned           a get() found more than one

The first six names are the ones the package has always documented; code that catches them
keeps working. No message, repr, ``body`` or ``headers`` ever contains an API key or an
encryption key.

The email backend's ``fail_silently`` swallows NotifiedByErrors except the two that mean the
code or the settings are wrong, NotifiedByConfigError and NotifiedByUnsupportedFeature:
silencing them would drop every message, quietly, until someone noticed.
"""

from __future__ import annotations

from typing import Any

from django.core import exceptions as django_exceptions

__all__ = [
    "MultipleObjectsReturned",
    "NotifiedByAPIError",
    "NotifiedByAuthError",
    "NotifiedByConfigError",
    "NotifiedByConnectionError",
    "NotifiedByDeadlineExceeded",
    "NotifiedByDeliveryTimeout",
    "NotifiedByError",
    "NotifiedByInvalidArgument",
    "NotifiedByNotFoundError",
    "NotifiedByRateLimitError",
    "NotifiedByRecipientBlocked",
    "NotifiedByRecipientsRefused",
    "NotifiedByServerError",
    "NotifiedByTimeoutError",
    "NotifiedByUnsupportedFeature",
    "NotifiedByValidationError",
    "ObjectDoesNotExist",
]


class NotifiedByError(Exception):
    """Base class of every error this package raises."""

    def __init__(self, message: str = "", *, hint: str | None = None) -> None:
        super().__init__(message)
        #: The sentence describing what went wrong, without the hint.
        self.message = message
        #: How to fix it, when that is known.
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (HINT: {self.hint})"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


# Also an ImproperlyConfigured so Django code that handles configuration errors sees it; the
# email backend re-raises it even under fail_silently, since a silent misconfiguration loses mail.
class NotifiedByConfigError(NotifiedByError, django_exceptions.ImproperlyConfigured):
    """Raised when a setting is missing or invalid (for example no API key anywhere)."""


class NotifiedByUnsupportedFeature(NotifiedByError, ValueError):
    """Raised when a Django email message uses something the API cannot carry (reply-to,
    custom headers, another From address...); ``feature`` names it.

    Set ``NOTIFIEDBY_IGNORE_UNSUPPORTED_FEATURES = True`` to send such messages without it.
    """

    def __init__(self, message: str = "", *, feature: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        #: What the message used, in a few words ("reply_to", "header 'X-Tag'").
        self.feature = feature


# --- The transport failed: no answer arrived. -------------------------------------------


class NotifiedByConnectionError(NotifiedByError):
    """Raised when no answer arrived: refused, reset, DNS, TLS, or a dropped connection.

    ``maybe_sent`` tells whether the request may have reached the server (and so may have
    been acted on): False only when the connection was never established.
    """

    def __init__(
        self,
        message: str = "",
        *,
        hint: str | None = None,
        method: str | None = None,
        path: str | None = None,
        maybe_sent: bool = True,
    ) -> None:
        super().__init__(message, hint=hint)
        self.method = method
        self.path = path
        self.maybe_sent = maybe_sent


class NotifiedByTimeoutError(NotifiedByConnectionError):
    """Raised when connecting or waiting for the answer took longer than the timeout."""


class NotifiedByDeadlineExceeded(NotifiedByTimeoutError):
    """Raised when one call (every attempt and wait) outlived its deadline, in seconds
    ``deadline``: a server that answers too slowly, or trickles its answer."""

    def __init__(
        self,
        message: str = "",
        *,
        deadline: float,
        hint: str | None = None,
        method: str | None = None,
        path: str | None = None,
        maybe_sent: bool = True,
    ) -> None:
        super().__init__(message, hint=hint, method=method, path=path, maybe_sent=maybe_sent)
        self.deadline = deadline


class NotifiedByDeliveryTimeout(NotifiedByTimeoutError):
    """Raised by ``Email.wait_for_delivery()`` when the email is still ``pending`` at the
    timeout. ``email_id`` says which email; ``timeout`` is how long it waited, in seconds."""

    def __init__(self, message: str = "", *, email_id: str, timeout: float) -> None:
        super().__init__(message, maybe_sent=True)
        self.email_id = email_id
        self.timeout = timeout


# --- The API answered with an error status. ----------------------------------------------


class NotifiedByAPIError(NotifiedByError):
    """Raised for an error answer from the API; ``status_code`` says which.

    Its subclass NotifiedByInvalidArgument, with ``status_code`` None, is raised for bad input
    that the SDK refuses before sending anything.
    """

    def __init__(
        self,
        message: str = "",
        *,
        hint: str | None = None,
        status_code: int | None = None,
        method: str | None = None,
        path: str | None = None,
        body: Any = None,
        field_errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        #: The HTTP status of the answer, or None for an error found before sending.
        self.status_code = status_code
        self.method = method
        #: The request path relative to the API root (``/email/send/``), never with a query.
        self.path = path
        #: The decoded JSON body, or the (truncated) text when it was not JSON; a key the
        #: server echoed is replaced by "…".
        self.body = body
        #: ``{"field": ["message", ...]}`` for field errors, else empty.
        self.field_errors = field_errors or {}
        #: The response headers, a key the server echoed replaced by "…".
        self.headers = headers or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, {self.message!r})"


class NotifiedByValidationError(NotifiedByAPIError, ValueError):
    """Raised for a 400 answer, or (as NotifiedByInvalidArgument) for invalid arguments caught
    before any request."""


class NotifiedByInvalidArgument(NotifiedByValidationError):
    """Raised for input the SDK refuses before sending any request: nothing was sent, so
    ``status_code`` is None. ``argument`` names the argument at fault, when one is.

    A NotifiedByValidationError, so code that catches those (the API's 400s) catches it too;
    catch this one to tell "we never asked" from "the server refused".
    """

    def __init__(
        self,
        message: str = "",
        *,
        argument: str | None = None,
        hint: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, method=method, path=path)
        #: The argument that was refused (``"recipient"``, ``"flags"``), or None.
        self.argument = argument


class NotifiedByAuthError(NotifiedByAPIError):
    """Raised for 401 or 403: a missing or wrong API key, or a feature not enabled."""


class NotifiedByNotFoundError(NotifiedByAPIError):
    """Raised for 404: no such email, recipient, subscription or page."""


class NotifiedByRateLimitError(NotifiedByAPIError):
    """Raised for 429: the daily quota is used up, or the server asks to slow down.

    ``daily_quota`` is True for the daily send limit (retrying today will not help);
    ``retry_after`` is the delay in seconds the server asked for, if it said.
    """

    def __init__(
        self,
        message: str = "",
        *,
        retry_after: float | None = None,
        daily_quota: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.daily_quota = daily_quota


class NotifiedByServerError(NotifiedByAPIError):
    """Raised for a 5xx answer: trouble on the server's side."""


# --- Success statuses that carry a failure, and lookups. --------------------------------


class NotifiedByRecipientBlocked(NotifiedByError):
    """Raised when the API accepted a send (200) but will not deliver it: the recipient is
    blocked. ``email_id`` is the id the API gave the undelivered email."""

    def __init__(
        self, message: str = "", *, email_id: str | None = None, recipient: str = ""
    ) -> None:
        super().__init__(message)
        self.email_id = email_id
        self.recipient = recipient


class NotifiedByRecipientsRefused(NotifiedByError):
    """Raised when every address of a Django email message was refused: blocked by the API,
    or on the suppression list.

    ``recipients`` lists them. Set ``NOTIFIEDBY_IGNORE_RECIPIENTS_REFUSED = True`` to rely on
    ``message.notifiedby_status`` instead.
    """

    def __init__(self, message: str = "", *, recipients: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.recipients = recipients


class ObjectDoesNotExist(NotifiedByError, django_exceptions.ObjectDoesNotExist):
    """Base of every model's ``DoesNotExist``: a lookup matched nothing."""


class MultipleObjectsReturned(NotifiedByError, django_exceptions.MultipleObjectsReturned):
    """Base of every model's ``MultipleObjectsReturned``: a ``get()`` matched several."""
