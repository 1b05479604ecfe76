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
    ],
)
def test_resolve_relative_paths_and_links_under_the_base(
    path: str, url: str, rel_path: str
) -> None:
    resolved_url, resolved_path = resolve(path, BASE)

    assert resolved_url == url
    assert resolved_path == rel_path


@pytest.mark.parametrize(
    "link",
    [
        # A server behind a proxy names itself by its internal address, or writes http://
        # behind a TLS proxy: the link's path and query go to the base URL, over https.
        "http://app-internal:8000/v1/email/list/?page=2",
        "http://api.notifiedby.com/v1/email/list/?page=2",
        "http://api.notifiedby.com:80/v1/email/list/?page=2",
        "https://api.notifiedby.com:8443/v1/email/list/?page=2",
        "https://api.notifiedby.com.evil.test/v1/email/list/?page=2",
        "https://user:password@evil.test/v1/email/list/?page=2#top",
        "ftp://api.notifiedby.com/v1/email/list/?page=2",
    ],
)
def test_resolve_takes_a_link_on_another_host_or_scheme_as_its_path_on_the_base(
    link: str,
) -> None:
    assert resolve(link, BASE) == (f"{BASE}/email/list/?page=2", "/email/list/")


def test_resolve_keeps_the_path_prefix_of_the_base_url() -> None:
    base = "https://proxy.test/notifiedby/v1"

    assert resolve("http://app-internal:8000/notifiedby/v1/recipients/?page=2", base) == (
        f"{base}/recipients/?page=2",
        "/recipients/",
    )
    with pytest.raises(NotifiedByInvalidArgument, match="outside the API root /notifiedby/v1/"):
        resolve("http://app-internal:8000/v1/recipients/", base)


@pytest.mark.parametrize(
    "link",
    [
        "https://api.notifiedby.com/v2/email/list/",
        "https://api.notifiedby.com/v1x/email/",
        "https://api.notifiedby.com/",
        "http://app-internal:8000/admin/?next=/v1/",
        "https://evil.test/v2/email/list/?page=2",
        "https://api.notifiedby.com/V1/email/list/",
    ],
)
def test_resolve_refuses_links_outside_the_api_root(link: str) -> None:
    with pytest.raises(NotifiedByInvalidArgument, match=r"Refusing to follow .*outside the API"):
        resolve(link, BASE)


def test_resolve_refuses_a_link_that_is_not_a_url() -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="not a valid URL"):
        resolve("http://[::1/v1/email/list/", BASE)


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


def test_a_link_outside_the_api_root_is_refused_before_anything_is_sent(
    sandbox: Sandbox,
) -> None:
    client = NotifiedByClient(sandbox.api_key, sandbox.url)

    with pytest.raises(NotifiedByInvalidArgument, match="Refusing"):
        client.get("http://127.0.0.2:1/v2/recipients/")
    with pytest.raises(NotifiedByInvalidArgument, match="Refusing"):
        client.get(sandbox.url + "/v2/recipients/")

    assert sandbox.requests == []
