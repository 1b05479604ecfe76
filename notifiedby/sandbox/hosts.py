"""The names the sandbox answers to: a Host allow-list against DNS rebinding.

A web page on any site can point a name it controls at 127.0.0.1 and then read the
sandbox as its own origin. The browser still sends that name in ``Host``, so the sandbox
serves only the names it was given and the loopback names, and builds every link it
writes from the allowed name rather than from the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from notifiedby.sandbox.wire import ApiError

__all__ = ["LOOPBACK_NAMES", "AllowedHosts"]

#: The names every sandbox answers to, on its own port.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")

#: ``name`` or ``name:port``: a DNS name, an IPv4 address, or a bracketed IPv6 address.
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::([0-9]{1,5}))?")
#: How much of a refused Host the error message quotes.
_SHOWN = 100


def _split(value: str) -> tuple[str, int | None] | None:
    """Split ``name[:port]`` into a lowercase name and port (None if absent); None if malformed."""
    match = _HOST.fullmatch(value.strip().lower())
    if match is None or (match.group(2) is not None and not 0 < int(match.group(2)) < 65536):
        return None
    return match.group(1), None if match.group(2) is None else int(match.group(2))


def _bracketed(name: str) -> str:
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def _origin(name: str, port: int) -> str:
    # As browsers write an Origin: the default port left out.
    return f"http://{name}" + ("" if port == 80 else f":{port}")


class AllowedHosts:
    """The loopback names and the bound address on the bound port, plus extra names.

    An extra ``name`` is allowed on any port (a proxy or a container may map another one);
    ``name:port`` on that port only. Raise ValueError for an entry that is not a host name.
    """

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._extra: list[tuple[str, int | None]] = []
        for entry in extra:
            parsed = _split(entry) if isinstance(entry, str) else None
            if parsed is None:
                raise ValueError(
                    f"allowed host {entry!r} is not a host name, IP address or [IPv6] address,"
                    " with an optional :port"
                )
            self._extra.append(parsed)

    def origin(self, host: str | None, server_name: str, server_port: int) -> str:
        """Return the origin (``http://name:port``) of a request with this Host header.

        ``server_name`` and ``server_port`` are where the server is bound. Without a Host
        header (no browser omits it) the answer is the bound address. Raise ApiError 400
        for a name that is not allowed.
        """
        bound = _bracketed(server_name.lower())
        if host is None:
            return _origin(bound, server_port)
        parsed = _split(host)
        if parsed is not None:
            name, port = parsed
            port = 80 if port is None else port
            if port == server_port and name in (bound, *LOOPBACK_NAMES):
                return _origin(name, port)
            for allowed, allowed_port in self._extra:
                if name == allowed and allowed_port in (None, port):
                    return _origin(name, port)
        names = [f"{name}:{server_port}" for name in dict.fromkeys((bound, *LOOPBACK_NAMES))]
        names += [name if port is None else f"{name}:{port}" for name, port in self._extra]
        shown = host[:_SHOWN] + ("..." if len(host) > _SHOWN else "")
        detail = (
            f"Host {shown!r} is not allowed; this sandbox answers to {', '.join(names)}."
            " To reach it by another name, start it with --allowed-host NAME"
            ' (in Python: Sandbox(allowed_hosts=["NAME"])).'
        )
        raise ApiError(400, {"detail": detail})
