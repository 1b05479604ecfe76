"""The sandbox as a WSGI application: faults, auth, idempotency, routing, pagination."""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Callable, Iterable
from http import HTTPStatus
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from notifiedby.sandbox import handlers, inbox
from notifiedby.sandbox.control import MAX_PAGE_SIZE, Control
from notifiedby.sandbox.controls_http import control_endpoint
from notifiedby.sandbox.faults import DropConnection, Fault, RecordedRequest, redact_headers
from notifiedby.sandbox.hosts import AllowedHosts
from notifiedby.sandbox.wire import (
    MAX_BODY_BYTES,
    ApiError,
    Request,
    parse_query,
    split_path,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["Response", "SandboxApp"]

Response = tuple[int, Any, dict[str, str]]
Handler = Callable[[Control, Request], tuple[int, Any]]

#: (path below /v1/, method) -> handler. Detail and delivery also take an id segment.
ROUTES: dict[tuple[str, ...], dict[str, Handler]] = {
    ("email", "send"): {"POST": handlers.send_email},
    ("email", "list"): {"GET": handlers.list_emails},
    ("email", "detail"): {"GET": handlers.email_detail},
    ("email", "delivery"): {"GET": handlers.email_delivery},
    ("flows", "subscribe"): {"POST": handlers.subscribe},
    ("flows", "unsubscribe"): {"POST": handlers.unsubscribe},
    ("flows", "subscriptions"): {
        "GET": handlers.list_subscriptions,
        "DELETE": handlers.delete_subscriptions,
    },
    ("recipients",): {"GET": handlers.list_recipients, "POST": handlers.upsert_recipient},
    ("recipients", "flags", "set"): {"POST": handlers.set_flags},
    ("recipients", "flags", "clear"): {"POST": handlers.clear_flags},
}
_ID_ROUTES = {("email", "detail"), ("email", "delivery")}
_MAX_IDEMPOTENCY_KEY = 255
_OPENAPI = ("v1", "openapi.json")
#: Control requests carry a little JSON; bigger bodies are refused with 413 unread.
CONTROL_BODY_BYTES = 1024 * 1024


def _openapi_document() -> bytes:
    return resources.files("notifiedby.sandbox").joinpath("openapi.json").read_bytes()


class SandboxApp:
    """A WSGI callable serving the NotifiedBy API, the ``/_sandbox/`` controls and the inbox.

    Requests whose Host is not in ``allowed_hosts`` (by default the loopback names and the
    bound address) are refused with 400.
    """

    def __init__(self, control: Control, allowed_hosts: AllowedHosts | None = None) -> None:
        self.control = control
        self.allowed_hosts = allowed_hosts or AllowedHosts()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        status, body, headers = self.handle(environ)
        if isinstance(body, bytes):
            payload = body
        elif isinstance(body, str):
            payload = body.encode("utf-8")
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        elif status == 204 or body is None:
            payload = b""
        else:
            payload = json.dumps(body).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        headers["Content-Length"] = str(len(payload))
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return [payload]

    def handle(self, environ: WSGIEnvironment) -> Response:
        try:
            request = self._read_head(environ)
        except ApiError as error:
            return error.status, error.body, dict(error.headers)
        if request.raw_path.startswith("/_sandbox/"):
            return self._answer(lambda: self._control_endpoint(request, environ))
        if request.raw_path == "/" or request.raw_path.startswith("/inbox/"):
            # The inbox only answers GET: its body, if any, is left unread.
            return self._answer(lambda: inbox.serve(self.control, request))
        recorded = RecordedRequest(
            method=request.method,
            path=request.raw_path,
            query=request.query,
            headers=redact_headers({k.title(): v for k, v in request.headers.items()}),
            connection_id=request.connection_id,
        )
        # The key is checked before the body is read, so a request without one costs the
        # sandbox no memory; its 401 comes later, after the route is known (404 first).
        refusal = self._key_refusal(request)
        if refusal is None:
            try:
                request.body = _read_body(environ, MAX_BODY_BYTES)
            except ApiError as error:
                recorded.status = error.status
                self.control.recorder.add(recorded)
                return error.status, error.body, dict(error.headers)
            # A request with an Encryption-Key carries content the sandbox must not keep.
            recorded.keep_body(request.body, secret=bool(request.header("encryption-key")))
        self.control.recorder.add(recorded)
        fault = self.control.faults.pick(request.method, request.raw_path)
        if fault is not None:
            recorded.fault = fault.to_dict()
        # By default a fault strikes before anything is done; with after=True the request is
        # carried out and only its answer is delayed, replaced or dropped.
        response = None
        if fault is None or fault.after:
            response = self._answer(lambda: self._dispatch(request, refusal))
        if fault is not None:
            response = self._strike(fault, recorded) or response
        if response is None:
            response = self._answer(lambda: self._dispatch(request, refusal))
        recorded.status = response[0]
        return response

    def _read_head(self, environ: WSGIEnvironment) -> Request:
        """Read all but the body: the body waits until the app knows it wants it."""
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if not raw_uri:
            path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
            raw_uri = path + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        raw_path, _, query_string = raw_uri.partition("?")
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        origin = self.allowed_hosts.origin(
            headers.get("host"), environ["SERVER_NAME"], int(environ["SERVER_PORT"])
        )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            raise ApiError(400, {"detail": "Content-Length is not a whole number of bytes."})
        if length > MAX_BODY_BYTES:
            raise _too_large(MAX_BODY_BYTES)
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        return Request(
            method=environ["REQUEST_METHOD"].upper(),
            segments=split_path(raw_path),
            raw_path=raw_path,
            query=parse_query(query_string),
            headers=headers,
            connection_id=environ.get("notifiedby.connection_id", 0),
            origin=origin,
        )

    def _control_endpoint(self, request: Request, environ: WSGIEnvironment) -> tuple[int, Any]:
        request.body = _read_body(environ, CONTROL_BODY_BYTES)
        return control_endpoint(self.control, request)

    def _answer(self, produce: Callable[[], Response | tuple[int, Any]]) -> Response:
        try:
            result = produce()
        except ApiError as error:
            return error.status, error.body, dict(error.headers)
        if len(result) == 2:
            return result[0], result[1], {}
        return result

    def _strike(self, fault: Fault, recorded: RecordedRequest) -> Response | None:
        """Wait, drop or answer as the fault says; None lets the request answer normally."""
        if fault.latency and not self.control.sleep(fault.latency):
            raise DropConnection  # the sandbox was reset meanwhile; this request belongs to no one
        if fault.drop:
            recorded.status = None
            raise DropConnection
        if fault.status is None:
            return None
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        return fault.status, fault.response_body(), headers

    def _dispatch(self, request: Request, refusal: ApiError | None) -> Response:
        segments = request.segments
        if tuple(segments) == _OPENAPI:
            if request.method != "GET":
                raise ApiError(
                    405, {"detail": f'Method "{request.method}" not allowed.'}, {"Allow": "GET"}
                )
            return 200, _openapi_document(), {"Content-Type": "application/json"}
        if len(segments) < 3 or segments[0] != "v1" or segments[-1] != "":
            hint = ""
            if segments and segments[-1] != "":
                hint = f" API paths end with a slash: '{request.raw_path}/'."
            raise ApiError(404, {"detail": "Not found." + hint})
        route, email_id = tuple(segments[1:-1]), None
        if route not in ROUTES and route[:-1] in _ID_ROUTES:
            route, email_id = route[:-1], route[-1]
        methods = ROUTES.get(route)
        if methods is None:
            raise ApiError(404, {"detail": "Not found."})
        if refusal is not None:
            raise refusal
        handler = methods.get(request.method)
        if handler is None:
            allow = ", ".join(methods)
            body = {"detail": f'Method "{request.method}" not allowed.'}
            raise ApiError(405, body, {"Allow": allow})
        if email_id is not None:
            request.query["id"] = [email_id]
        # scrypt runs before the lock; the rest is one transaction, so an email and its
        # idempotency record commit together or not at all.
        handler = handlers.prepare(handler, self.control, request)
        with self.control.store.transaction():
            self.control.settle()
            if request.method == "POST" and request.header("idempotency-key") is not None:
                return self._idempotent(request, handler)
            status, body = handler(self.control, request)
            return status, self._paginate(request, body), {}

    def _key_refusal(self, request: Request) -> ApiError | None:
        """The 401 for a request without a valid API key; None when the key is valid."""
        header = request.header("authorization")
        if not header:
            return ApiError(401, {"detail": "Authentication credentials were not provided."})
        scheme, _, key = header.partition(" ")
        try:
            # Header text holds the bytes as Latin-1 (WSGI's rule). compare_digest takes
            # bytes here: given non-ASCII str it raises TypeError instead of answering.
            given = key.strip().encode("latin-1")
        except UnicodeEncodeError:
            given = b""
        known = any(hmac.compare_digest(given, k.encode("utf-8")) for k in self.control.api_keys)
        if scheme != "Api-Key" or not known:
            return ApiError(401, {"detail": "Invalid API key."})
        return None

    def _idempotent(self, request: Request, handler: Handler) -> Response:
        key = request.header("idempotency-key") or ""
        if not key or len(key) > _MAX_IDEMPOTENCY_KEY:
            limit = _MAX_IDEMPOTENCY_KEY
            raise ApiError(400, {"detail": f"Idempotency-Key must be 1 to {limit} characters."})
        stored = self.control.store.recall(key)
        if stored is not None:
            if (stored["method"], stored["path"]) != (request.method, request.raw_path):
                detail = "This Idempotency-Key was already used for a different request."
                raise ApiError(400, {"detail": detail})
            return stored["status"], json.loads(stored["body"]), {"Idempotent-Replayed": "true"}
        try:
            status, body = handler(self.control, request)
        except ApiError as error:
            status, body = error.status, error.body
        # A throttled or failed request did nothing, so a retry with the key must run again.
        if status < 500 and status != 429:
            self.control.store.remember(
                key, request.method, request.raw_path, status, json.dumps(body)
            )
        return status, body, {}

    def _paginate(self, request: Request, body: Any) -> Any:
        if not isinstance(body, handlers.Page):
            return body
        if body.bare:  # the documented shape: every item at once, no envelope
            return body.fetch(0, -1)
        options = self.control.options
        size = options["page_size"]
        requested = request.param("page_size") or ""
        if not options["ignore_page_size"] and requested.isdigit() and int(requested) > 0:
            size = min(int(requested), MAX_PAGE_SIZE)
        total = body.count()
        page_text = request.param("page") or "1"
        last = max(1, math.ceil(total / size))
        if not page_text.isdigit() or not 1 <= int(page_text) <= last:
            raise ApiError(404, {"detail": "Invalid page."})
        page = int(page_text)
        results = body.fetch((page - 1) * size, size)
        return {
            "count": total,
            "next": self._link(request, page + 1) if page < last else None,
            "previous": self._link(request, page - 1) if page > 1 else None,
            "results": results,
        }

    def _link(self, request: Request, page: int) -> str:
        query = {name: values for name, values in request.query.items() if name != "page"}
        if page > 1:  # like Django REST framework, the link to page 1 carries no page number
            query["page"] = [str(page)]
        encoded = urlencode(query, doseq=True)
        return f"{request.origin}{request.raw_path}" + (f"?{encoded}" if encoded else "")


def _too_large(limit: int) -> ApiError:
    shown = f"{limit // (1024 * 1024)} MiB"
    return ApiError(413, {"detail": f"Request body too large: the limit is {shown}."})


def _read_body(environ: WSGIEnvironment, limit: int) -> bytes:
    """Read the request body, at most ``limit`` bytes; ApiError 413 for a bigger one.

    A chunked body has no length (``wsgi.input_terminated``): the server ends the input.
    """
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > limit:
        raise _too_large(limit)
    if length:
        body: bytes = environ["wsgi.input"].read(length)
        return body
    if not environ.get("wsgi.input_terminated"):
        return b""
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit)
    return body
