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

FORWARDED = ("accept", "content-type")  # every other header stays at the front
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
        if any(len(request.headers.getlist(name)) > 1 for name in FORWARDED):
            return _error(400, "a request may carry one Content-Type and one Accept header")
        try:
            body = await asyncio.wait_for(request.body(), timeout=timeout + GRACE)
        except TimeoutError:
            return _error(408, "the request body did not arrive in time")
        headers = {k: v for k, v in request.headers.items() if k in FORWARDED}
        params, method = list(request.query_params.multi_items()), request.method
        if path in ("/query", "/update"):
            # the text checked is the text sent: one query or update, forwarded in the body
            field = path[1:]
            try:
                text, params = _protocol_request(request, body, field)
            except ValueError as exc:
                return _error(400, str(exc))
            if not allow_service:
                try:
                    refuse_service(text)
                except Refused as exc:
                    return _error(exc.http_status, str(exc))
            method, body = "POST", text.encode("utf-8")
            headers["content-type"] = f"application/sparql-{field}"
        try:
            await asyncio.wait_for(slots.acquire(), timeout=timeout)
        except TimeoutError:
            return _error(503, f"the endpoint is busy: no query slot came free within {timeout:g} s")
        try:
            started, child = time.monotonic(), supervisor.process
            answer = await asyncio.wait_for(
                client.request(method, f"{supervisor.url}{path}", params=params, content=body, headers=headers),
                timeout=timeout + GRACE)
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
        if answer.status_code == 200 and path == "/query" and \
                _cut_short(answer.content, answer.headers.get("content-type", "")):
            # Oxigraph answers 200 before it evaluates, then ends the stream with its error
            return _error(504, f"the query ran past --timeout {timeout:g} s and was stopped")
        kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type",)}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    for path, methods in (("/query", ["GET", "POST"]), ("/update", ["POST"]),
                          ("/store", ["GET", "HEAD", "POST", "PUT", "DELETE"])):
        async def route(request: Request, _path: str = path) -> Response:
            return await proxy(request, _path)

        app.add_api_route(path, route, methods=methods, include_in_schema=False)
    return app


GRAPH_PARAMS = {"query": ("default-graph-uri", "named-graph-uri"),
                "update": ("using-graph-uri", "using-named-graph-uri")}


def _protocol_request(request: Request, body: bytes, field: str) -> tuple[str, list[tuple[str, str]]]:
    """The one query (or update) text of a SPARQL protocol request, from the URL, a form or the
    whole body, and its dataset parameters; ``ValueError`` when there is not exactly one text."""
    texts = request.query_params.getlist(field)
    params = [(k, v) for k, v in request.query_params.multi_items() if k in GRAPH_PARAMS[field]]
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        form = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        texts += [v for k, v in form if k == field]
        params += [(k, v) for k, v in form if k in GRAPH_PARAMS[field]]
    elif kind == f"application/sparql-{field}":
        texts.append(body.decode("utf-8", "replace"))
    elif body:
        raise ValueError(f"a {field} is sent as a URL parameter, a form field or an application/sparql-{field} "
                         f"body, not as {kind or 'a body without a Content-Type'}")
    if len(texts) != 1:
        raise ValueError(f"expected one {field}, got {len(texts)}")
    return texts[0], params


def _cut_short(content: bytes, kind: str) -> bool:
    """Whether Oxigraph ended a streamed answer early with its error: it sends 200 before it
    evaluates, so the only sign is an answer that does not end as its format must (JSON with
    ``}``, XML with ``>``), or that ends with its error text (CSV, TSV)."""
    end = content.rstrip()[-100:]
    if "json" in kind:
        return not end.endswith(b"}")
    if "xml" in kind:
        return not end.endswith(b">")
    return end.endswith(b"has been cancelled") or b"Internal server error while" in end
