"""A pure-ASGI shortcut to the API's hot POST routes, past FastAPI's per-request machinery.

The completion routes take only the ``Request`` and do their own parsing (:mod:`bridge.openai.fastpath`),
so FastAPI's route matching, dependency solving, exit stacks and response handling do nothing for them
but cost about a fifth of the bridge's CPU per request. :class:`HotRoutes` sits inside the bridge's own
middleware (size limit, metrics) and sends a ``POST`` to exactly such a route's path straight to its
endpoint. Errors take the paths they took before: those with a handler of their own (``BridgeError``,
validation errors) are answered here by that handler, as Starlette's ``ExceptionMiddleware`` would;
anything else rises to the outer middleware (the size limit's 413, then ``ServerErrorMiddleware``'s 500).
Everything else (other methods and paths, ``/openapi.json``) goes on to FastAPI, which owns the routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request, Any], Awaitable[Response]]


def request_only(route: APIRoute) -> bool:
    """Whether ``route`` is a POST whose endpoint takes the bare request and nothing FastAPI must solve."""
    dependant = route.dependant
    solved = ("dependencies", "path_params", "query_params", "header_params", "cookie_params", "body_params")
    # Read defensively: a FastAPI that shapes these differently just keeps its own (slower) path.
    return (route.methods == {"POST"} and getattr(dependant, "request_param_name", None) is not None
            and not any(getattr(dependant, name, True) for name in solved))


class HotRoutes:
    """Dispatches ``POST`` to the given routes' paths itself; everything else goes to ``app``."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[APIRoute], handlers: Mapping[Any, Handler]) -> None:
        self.app = app
        self._routes = {route.path: route for route in routes if request_only(route)}
        # The catch-all (``Exception``/500) handler belongs to ServerErrorMiddleware, outside, as in Starlette.
        self._handlers = {key: h for key, h in handlers.items() if isinstance(key, type) and key is not Exception}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._routes.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # as FastAPI's router sets it (the metrics label requests by it)
        request = Request(scope, receive)
        try:
            response = await route.endpoint(request)
        except ClientDisconnect:
            return  # the caller left while sending its body: no one to answer
        except Exception as exc:
            handler = self._handler_for(exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Handler | None:
        for cls in type(exc).__mro__:
            if cls in self._handlers:
                return self._handlers[cls]
        return None
