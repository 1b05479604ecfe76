"""Base URLs, path segments and absolute links: the key only ever goes to the API root."""

from __future__ import annotations

import warnings

import pytest

from notifiedby._urls import normalise_base_url, resolve
from notifiedby.client import NotifiedByClient, NotifiedByInsecureURLWarning, endpoint
from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.sandbox import Sandbox

BASE = "https://api.notifiedby.com/v1"


@pytest.mark.parametrize(
    "given",
    [
        "https://api.notifiedby.com",
        "https://api.notifiedby.com/",
        "https://api.notifiedby.com/v1",
        "https://api.notifiedby.com/v1/",
        "  HTTPS://api.notifiedby.com/v1//  ",
    ],
)
def test_base_url_with_or_without_v1_and_slash_means_the_same(given: str) -> None:
    assert normalise_base_url(given) == BASE


def test_base_url_keeps_a_path_prefix() -> None:
    assert (
        normalise_base_url("https://proxy.test/notifiedby/") == "https://proxy.test/notifiedby/v1"
    )


@pytest.mark.parametrize(
    ("segments", "path"),
    [
        (("email", "send"), "/email/send/"),
        (("email", "detail", "JDT"), "/email/detail/JDT/"),
        (("flows", 42), "/flows/42/"),
        (("email", "detail", "../x"), "/email/detail/..%2Fx/"),
        (("email", "detail", ".."), "/email/detail/%2E%2E/"),
        (("email", "detail", "."), "/email/detail/%2E/"),
        (("email", "detail", "a b?c#d&e=f"), "/email/detail/a%20b%3Fc%23d%26e%3Df/"),
        (("email", "detail", "é"), "/email/detail/%C3%A9/"),
    ],
)
def test_endpoint_encodes_each_segment_as_one_segment(
    segments: tuple[str | int, ...], path: str
) -> None:
    assert endpoint(*segments) == path


def test_endpoint_refuses_empty_and_odd_segments() -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="must not be empty"):
        endpoint("email", "detail", "")
    with pytest.raises(TypeError, match="str or int"):
        endpoint("email", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        endpoint("email", True)


@pytest.mark.parametrize(
    ("path", "url", "rel_path"),
    [
        ("/email/send/", f"{BASE}/email/send/", "/email/send/"),
        ("email/send/", f"{BASE}/email/send/", "/email/send/"),
        ("email/list/?page=2", f"{BASE}/email/list/?page=2", "/email/list/"),
        (f"{BASE}/email/list/?page=2", f"{BASE}/email/list/?page=2", "/email/list/"),
        (
            "https://API.notifiedby.com:443/v1/recipients/?page=3&page_size=1",
            f"{BASE}/recipients/?page=3&page_size=1",
            "/recipients/",
        ),
        # A server behind a TLS proxy may write http:// links to itself: still sent over https.
        ("http://api.notifiedby.com/v1/email/list/?page=2", f"{BASE}/email/list/?page=2", None),
    ],
)
def test_resolve_relative_paths_and_links_under_the_base(
    path: str, url: str, rel_path: str | None
) -> None:
    resolved_url, resolved_path = resolve(path, BASE)

    assert resolved_url == url
    assert resolved_path == (rel_path or "/email/list/")


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/v1/email/list/?page=2",
        "https://api.notifiedby.com.evil.test/v1/email/list/",
        "https://api.notifiedby.com:8443/v1/email/list/",
        "https://api.notifiedby.com/v2/email/list/",
        "https://api.notifiedby.com/v1x/email/",
        "https://user@api.notifiedby.com/v1/email/list/",
        "ftp://api.notifiedby.com/v1/email/list/",
        "http://api.notifiedby.com:80/v1/email/list/",
    ],
)
def test_resolve_refuses_links_outside_the_base(link: str) -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="Refusing to send the API key"):
        resolve(link, BASE)


@pytest.mark.parametrize("path", ["/email/../admin/", "../x", "/email/detail/./"])
def test_resolve_refuses_dot_segments(path: str) -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="Dot segments"):
        resolve(path, BASE)


def test_plain_http_to_a_remote_host_warns() -> None:
    with pytest.warns(NotifiedByInsecureURLWarning, match="plain http:// to api.example.com"):
        NotifiedByClient("k", "http://api.example.com")


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8025",
        "http://127.0.0.1:8025",
        "http://127.1.2.3",
        "http://[::1]:8025",
        "http://sandbox.localhost",
        "https://api.example.com",
    ],
)
def test_loopback_or_https_does_not_warn(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NotifiedByClient("k", url)


def test_a_foreign_next_link_is_refused_before_anything_is_sent(sandbox: Sandbox) -> None:
    client = NotifiedByClient(sandbox.api_key, sandbox.url)

    with pytest.raises(NotifiedByInvalidArgument, match="Refusing"):
        client.get("http://127.0.0.2:1/v1/recipients/")
    with pytest.raises(NotifiedByInvalidArgument, match="Refusing"):
        client.get(sandbox.url + "/v2/recipients/")

    assert sandbox.requests == []
