"""The HTTP front of ``sensekg serve``: the SPARQL protocol proxied to the supervised Oxigraph
child with the guards described in :mod:`sensekg.graph.serve`, and the saved-queries API."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import urllib.parse

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from uvicorn.protocols.http.h11_impl import H11Protocol

from sensekg.loaders.errors import Refused

from .api import create_app
from .query import refuse_service
from .serve import GRACE, HEAD_TIMEOUT, Supervisor

FORWARDED = ("accept", "content-type")
WRITES = {"POST", "PUT", "DELETE", "PATCH"}


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, plus a deadline for each request head: a client that has
    not sent a whole request head ``HEAD_TIMEOUT`` seconds after connecting (or after its last
    answer) is disconnected, so slow connections cannot hold the server's slots."""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_overdue)

    def _head_overdue(self) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._head_timer.cancel()
        self._arm()

    def connection_lost(self, exc) -> None:
        self._head_timer.cancel()
        super().connection_lost(exc)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_front(supervisor: Supervisor, own_url: str, timeout: float, token: str | None, allow_service: bool,
                 allowed_origins: tuple[str, ...] = ()) -> FastAPI:
    app = create_app(f"{supervisor.url}/query", timeout)
    origins = {own_url.rstrip("/"), *(o.rstrip("/") for o in allowed_origins)}
    if own_url.startswith("http://127.0.0.1:"):
        origins.add(own_url.replace("127.0.0.1", "localhost", 1))
    client = httpx.AsyncClient(timeout=httpx.Timeout(timeout + GRACE))
    # at most this many requests at the child at once, so that on a busy machine each gets its
    # share of the cores and none overruns its deadline for want of CPU; the rest wait their turn
    slots = asyncio.Semaphore(2 * (os.cpu_count() or 1))

    @app.middleware("http")
    async def guard(request: Request, call_next):
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/") not in origins:
            return _error(403, f"requests from the origin {origin} are refused (see --allow-origin)")
        return await call_next(request)

    async def proxy(request: Request, path: str) -> Response:
        write = path == "/update" or (path == "/store" and request.method in WRITES)
        if write:
            if token is None:
                return _error(403, "this endpoint is read-only (start sensekg serve with --writable)")
            given = request.headers.get("authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return _error(401, "writes need the header Authorization: Bearer TOKEN (printed by sensekg serve)")
        try:
            body = await asyncio.wait_for(request.body(), timeout=timeout + GRACE)
        except TimeoutError:
            return _error(408, "the request body did not arrive in time")
        if path in ("/query", "/update") and not allow_service:
            text = _sparql_text(request, body, "update" if path == "/update" else "query")
            try:
                refuse_service(text)
            except Refused as exc:
                return _error(exc.http_status, str(exc))
        headers = {k: v for k, v in request.headers.items() if k in FORWARDED}
        url = f"{supervisor.url}{path}"
        try:
            await asyncio.wait_for(slots.acquire(), timeout=timeout)
        except TimeoutError:
            return _error(503, f"the endpoint is busy: no query slot came free within {timeout:g} s")
        try:
            started, child = time.monotonic(), supervisor.process
            answer = await asyncio.wait_for(
                client.request(request.method, url, params=list(request.query_params.multi_items()),
                               content=body, headers=headers), timeout=timeout + GRACE)
        except TimeoutError:
            # Oxigraph's own timeout did not stop it: stop it by restarting the child (unless a
            # restart since this request began has done so already)
            await asyncio.to_thread(supervisor.restart, f"a request ran {time.monotonic() - started:.0f} s, "
                                    f"past --timeout {timeout:g} s; the query was stopped", child)
            return _error(504, f"the query ran past --timeout {timeout:g} s and was stopped")
        except httpx.HTTPError as exc:
            return _error(502, f"the SPARQL endpoint did not answer ({type(exc).__name__})")
        finally:
            slots.release()
        kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type",)}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    for path, methods in (("/query", ["GET", "POST"]), ("/update", ["POST"]),
                          ("/store", ["GET", "HEAD", "POST", "PUT", "DELETE"])):
        async def route(request: Request, _path: str = path) -> Response:
            return await proxy(request, _path)

        app.add_api_route(path, route, methods=methods, include_in_schema=False)
    return app


def _sparql_text(request: Request, body: bytes, field: str) -> str:
    """The query or update text of a SPARQL protocol request: a URL parameter, a form field or
    the whole body."""
    texts = request.query_params.getlist(field)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        texts += urllib.parse.parse_qs(body.decode("utf-8", "replace")).get(field, [])
    elif body:
        texts.append(body.decode("utf-8", "replace"))
    return "\n".join(texts)
