"""Talking to a SPARQL 1.1 server: queries over the Protocol, graphs over the Graph Store Protocol.

:class:`RemoteStore` answers ``query(text)`` like a pyoxigraph store, so saved queries,
parameter binding and label lookup run unchanged against a server.
"""

from __future__ import annotations

import base64
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox

from sensekg.loaders.errors import InputError


@dataclass
class Endpoint:
    url: str
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    tries: int = 3
    backoff: float = 0.5  # seconds before the second try; doubled before each later one

    def request(self, method: str, url: str, data: bytes | None = None, headers: dict | None = None) -> bytes:
        """One HTTP exchange, retried with backoff on refusals, timeouts and 5xx answers."""
        headers = dict(headers or {})
        if data is not None:
            # a server that reads exactly this many bytes rejects a body cut short by a dropped
            # connection instead of storing its first part (urllib adds it too; say it outright)
            headers["Content-Length"] = str(len(data))
        if self.user:
            token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        last = ""
        for attempt in range(self.tries):
            try:
                req = urllib.request.Request(url, data=data, headers=headers, method=method)
                with urllib.request.urlopen(req, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as exc:
                detail = " ".join(exc.read()[:300].decode("utf-8", "replace").split())  # one line
                if exc.code < 500:
                    raise InputError(f"{method} {url} answered {exc.code} {exc.reason}: {detail}") from None
                last = f"{exc.code} {exc.reason}: {detail}"
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            if attempt + 1 < self.tries:
                time.sleep(self.backoff * 2 ** attempt)
        raise InputError(f"{method} {url} failed after {self.tries} tries: {last}")


@dataclass
class Solutions:
    """SELECT results read in full, iterable like pyoxigraph's QuerySolutions."""

    variables: list
    rows: list

    def __iter__(self):
        return iter(self.rows)


class RemoteStore:
    """The ``query`` method of a pyoxigraph store, answered by a SPARQL endpoint."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint

    def query(self, text: str):
        body = urllib.parse.urlencode({"query": text}).encode()
        data = self.endpoint.request("POST", self.endpoint.url, body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        })
        try:
            parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
            if isinstance(parsed, ox.QueryBoolean):
                return parsed
            return Solutions(parsed.variables, list(parsed))  # parsing is lazy: read it all now
        except SyntaxError:
            # Oxigraph ends a streamed answer with its error when the query times out
            tail = data[-300:].decode("utf-8", "replace")
            if "cancelled" in tail or "timeout" in tail.casefold():
                raise InputError(f"the query timed out on {self.endpoint.url} and was cancelled") from None
            raise InputError(f"{self.endpoint.url} sent an answer that is not SPARQL JSON results: {tail!r}") from None


def password_from(variable: str | None) -> str | None:
    if variable is None:
        return None
    if variable not in os.environ:
        raise InputError(f"--password-env {variable}: the environment has no such variable")
    return os.environ[variable]


def push(quads: list[ox.Quad], gsp: Endpoint, query: Endpoint,
         progress: Callable[[str], None] = lambda _: None) -> dict[str, tuple[int, int]]:
    """PUT each named graph (one idempotent request each), and their deduplicated union as the
    default graph, as the local store has it; then compare remote and local counts."""
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in quads:
        name = quad.graph_name
        if not isinstance(name, ox.DefaultGraph):
            graphs.setdefault(name.value, []).append(quad.triple)
    for name, triples in sorted(graphs.items()):
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        url = f"{gsp.url}?{urllib.parse.urlencode({'graph': name})}"
        gsp.request("PUT", url, data, {"Content-Type": "application/n-triples"})
        progress(f"PUT {name}: {len(triples)} triples")
    union = sorted({t for triples in graphs.values() for t in triples}, key=str)
    gsp.request("PUT", f"{gsp.url}?default", ox.serialize(union, format=ox.RdfFormat.N_TRIPLES),
                {"Content-Type": "application/n-triples"})
    progress(f"PUT the default graph (the union): {len(union)} triples")
    remote = {}
    counts = RemoteStore(query).query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    for solution in counts:
        remote[solution["g"].value] = int(solution["n"].value)
    return {name: (len(set(triples)), remote.get(name, 0)) for name, triples in sorted(graphs.items())}
