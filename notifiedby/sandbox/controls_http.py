"""The ``/_sandbox/`` endpoints: the same controls as the Sandbox methods, over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notifiedby.sandbox import wire
from notifiedby.sandbox.control import Control
from notifiedby.sandbox.wire import ApiError, Request

__all__ = ["control_endpoint"]

Action = Callable[[Control, Request], tuple[int, Any]]


def _json(request: Request) -> dict[str, Any]:
    fields, _ = wire.parse_body(request)
    return fields


def _define_flow(control: Control, request: Request) -> tuple[int, Any]:
    data = _json(request)
    return 201, control.define_flow(data.get("trigger", ""), data.get("name"), data.get("steps"))


def _block(control: Control, request: Request) -> tuple[int, Any]:
    email = _json(request).get("email")
    if not isinstance(email, str) or not email:
        raise ValueError("give the address to block as 'email'")
    control.block(email)
    return 200, {"blocked": control.store.blocked()}


def _unblock(control: Control, request: Request) -> tuple[int, Any]:
    email = request.param("email")
    if not email:
        raise ValueError("give the address to unblock as the query parameter 'email'")
    control.unblock(email)
    return 204, None


def _limit(control: Control, request: Request) -> tuple[int, Any]:
    control.set_daily_limit(_json(request).get("daily_limit"))
    return 200, {"daily_limit": control.daily_limit}


def _inject_fault(control: Control, request: Request) -> tuple[int, Any]:
    return 201, control.inject_fault(**_json(request)).to_dict()


def _clear_faults(control: Control, request: Request) -> tuple[int, Any]:
    control.clear_faults()
    return 204, None


def _configure(control: Control, request: Request) -> tuple[int, Any]:
    return 200, control.configure(**_json(request))


def _advance(control: Control, request: Request) -> tuple[int, Any]:
    fields = _json(request)
    unknown = set(fields) - {"days", "hours", "minutes", "seconds"}
    if unknown:
        raise ValueError(
            f"unknown field {sorted(unknown)[0]!r}; give days, hours, minutes or seconds"
        )
    return 200, control.advance(**fields)


def _reset(control: Control, request: Request) -> tuple[int, Any]:
    control.reset()
    return 200, {"detail": "The sandbox was reset."}


ENDPOINTS: dict[str, dict[str, Action]] = {
    "flows": {"GET": lambda c, r: (200, c.store.flows()), "POST": _define_flow},
    "blocked": {"GET": lambda c, r: (200, c.store.blocked()), "POST": _block, "DELETE": _unblock},
    "limit": {"GET": lambda c, r: (200, {"daily_limit": c.daily_limit}), "POST": _limit},
    "faults": {
        "GET": lambda c, r: (200, c.faults.to_list()),
        "POST": _inject_fault,
        "DELETE": _clear_faults,
    },
    "options": {"GET": lambda c, r: (200, c.options), "POST": _configure},
    "clock": {"GET": lambda c, r: (200, c.clock()), "POST": _advance},
    "reset": {"POST": _reset},
    "state": {"GET": lambda c, r: (200, c.state())},
}


def _cross_site(request: Request) -> bool:
    """Tell whether a browser sent this from another site's page.

    A page on any site can make the browser post a form to a sandbox on localhost; such
    requests carry an Origin that is not the sandbox's own (the allowed name they came by).
    Scripts and tests send none.
    """
    if request.header("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = request.header("origin")
    return origin is not None and origin != request.origin


def control_endpoint(control: Control, request: Request) -> tuple[int, Any]:
    """Run one control request; bad arguments answer 400 with the reason."""
    segments = request.segments
    actions = ENDPOINTS.get(segments[1]) if len(segments) == 3 and segments[2] == "" else None
    if actions is None:
        names = ", ".join(f"/_sandbox/{name}/" for name in ENDPOINTS)
        raise ApiError(404, {"detail": f"Not found. The control endpoints are {names}."})
    action = actions.get(request.method)
    if request.method != "GET" and _cross_site(request):
        detail = "Control requests from another site's page are refused."
        raise ApiError(403, {"detail": detail})
    if action is None:
        raise ApiError(
            405,
            {"detail": f'Method "{request.method}" not allowed.'},
            {"Allow": ", ".join(actions)},
        )
    try:
        return action(control, request)
    except (TypeError, ValueError) as error:
        raise ApiError(400, {"detail": str(error)}) from None
