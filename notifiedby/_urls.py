"""Build and check the URLs the client sends to, so the API key only goes to the API root.

Everything here is pure string work: no I/O, no requests.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import quote, urlsplit

from notifiedby.exceptions import NotifiedByInvalidArgument

__all__ = ["endpoint", "is_loopback", "normalise_base_url", "resolve"]

_ABSOLUTE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")


def normalise_base_url(value: Any) -> str:
    """Return the API root for a base URL given with or without ``/v1`` and trailing slash.

    Raise ValueError (a sentence fragment, for the settings resolver) when it is unusable.
    """
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type(value).__name__}")
    text = value.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host, got {text!r}")
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in logs and reprs; the API key travels in a header.
        raise ValueError("must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ValueError(f"must not have a query or fragment, got {text!r}")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError(f"has an invalid port, got {text!r}") from None
    path = parts.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return f"{scheme}://{parts.netloc}{path}"


def endpoint(*segments: str | int) -> str:
    """Return the API path for these segments, each percent-encoded as exactly one segment:
    ``endpoint("email", "detail", "a/b")`` is ``"/email/detail/a%2Fb/"``."""
    encoded = []
    for segment in segments:
        if isinstance(segment, bool) or not isinstance(segment, (str, int)):
            raise TypeError(f"A path segment must be a str or int, not {type(segment).__name__}.")
        text = str(segment)
        if not text:
            raise NotifiedByInvalidArgument("A path segment (such as an id) must not be empty.")
        # quote() leaves dots alone, and a "." or ".." segment would be collapsed away.
        encoded.append("%2E" * len(text) if text in (".", "..") else quote(text, safe=""))
    return "/" + "".join(f"{s}/" for s in encoded)


def resolve(path: str, base_url: str) -> tuple[str, str]:
    """Return the URL to send to and the path relative to the API root, without query.

    ``path`` is relative to ``base_url`` (``"/email/send/"`` or ``"email/send/"``), or an
    absolute URL whose path lies under the API root, such as a pagination ``next`` link:
    its path and query are taken on ``base_url``, whatever host it names. Raise
    NotifiedByInvalidArgument for an absolute URL outside the API root, or for dot segments.
    """
    relative = _relative(path, base_url) if _ABSOLUTE.match(path) else "/" + path.lstrip("/")
    rel_path = relative.split("?", 1)[0].split("#", 1)[0]
    if any(segment in (".", "..") for segment in rel_path.split("/")):
        # requests would collapse them and so leave the API root; ids go through endpoint().
        msg = f"Dot segments are not allowed in a path: {rel_path}"
        raise NotifiedByInvalidArgument(msg, argument="path")
    return base_url + relative, rel_path


def _relative(url: str, base_url: str) -> str:
    """Return the path of ``url`` below the API root, with its query.

    Its scheme and host are not used: a server behind a proxy names itself in its links by
    its own address (``http://app-internal:8000/v1/...``), which the client can't reach and
    must not send the key to. Only the configured base URL gets a request.
    """
    base = urlsplit(base_url)
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparsable host, such as an unclosed "[" of an IPv6 address
        msg = "Refusing to follow a link that is not a valid URL."
        raise NotifiedByInvalidArgument(msg, argument="path") from None
    if not (parts.path == base.path or parts.path.startswith(base.path + "/")):
        shown = f"{parts.scheme}://{parts.hostname}{parts.path}"
        msg = f"Refusing to follow {shown}: it is outside the API root {base.path}/."
        raise NotifiedByInvalidArgument(msg, argument="path")
    relative = parts.path[len(base.path) :] or "/"
    return relative + ("?" + parts.query if parts.query else "")


def is_loopback(host: str) -> bool:
    """Return whether ``host`` names this machine (where plain http:// is harmless)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
