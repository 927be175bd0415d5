"""Talking to a SPARQL 1.1 server: queries over the Protocol, graphs over the Graph Store Protocol.

:class:`RemoteStore` answers ``query(text)`` like a pyoxigraph store, so saved queries,
parameter binding and label lookup run unchanged against a server.

Every request is bounded as a whole: connecting, sending, the headers and the body of the answer
must all be done within the endpoint's ``timeout``, or the connection is shut down at that moment
(a server that trickles its answer a byte at a time is cut off too). Refusals, resets, timeouts and
5xx answers are tried again with backoff; any other answer that is not 2xx is an error at once.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox

from sensekg.loaders.errors import InputError, QueryTimeout, RemoteUnavailable

# How Oxigraph ends a streamed answer (status 200, already under way) when it stops a query at its
# --timeout-s: "The SPARQL operation has been cancelled" after the JSON written so far. This is the
# server's wording, not ours; it is looked for only in the text after the last JSON bracket.
_CANCELLED = (b"cancelled", b"timed out", b"timeout")


def check_url(url: str) -> str:
    """``url`` if it is an http:// or https:// URL with a host; otherwise an InputError naming it.

    Nothing is sent: this runs before any request (``Endpoint`` calls it on its URL).
    """
    shown = repr(url)
    if not url:
        raise InputError("the URL '' is empty: give an http:// or https:// URL")
    if any(c <= " " or c == "\x7f" for c in url) or not url.isascii():
        raise InputError(f"the URL {shown} has a space, a control character or a character that is not ASCII; "
                         "percent-encode it")
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:  # e.g. an IPv6 host without its closing bracket
        raise InputError(f"the URL {shown} is malformed: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"the URL {shown} is not an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        hidden = url.replace(parts.netloc, parts.netloc.rsplit("@", 1)[-1], 1)
        raise InputError(f"the URL {hidden!r} carries a user or password: give them with --user and --password-env")
    if not parts.hostname:
        raise InputError(f"the URL {shown} names no host")
    try:
        parts.port  # noqa: B018 - it raises on a port that is not a number from 0 to 65535
    except ValueError as exc:
        raise InputError(f"the URL {shown} has a bad port: {exc}") from None
    return url


class _Deadline:
    """Shuts a connection's socket down once ``seconds`` have passed, unless :meth:`finish` came first.

    A shut-down socket ends any blocked connect, send or read at once, so no server can hold a
    request past its deadline, however slowly it trickles its answer.
    """

    def __init__(self, seconds: float):
        self.lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.fired = False
        self.done = False
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True
        self.timer.start()

    def _fire(self) -> None:
        with self.lock:  # held while shutting down, so the socket cannot be closed (and its number reused) meanwhile
            if self.done:
                return
            self.fired = True
            if self.sock is not None:
                with contextlib.suppress(OSError):
                    # socket.socket's own shutdown: on a TLS socket it shuts the connection, not the TLS layer
                    socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def watch(self, sock: socket.socket | None) -> None:
        """The connected socket; if the deadline passed while connecting, the request is over."""
        with self.lock:
            self.sock = sock
            if self.fired:
                raise TimeoutError

    def finish(self) -> None:
        """The answer was read in full, unless the deadline passed first (then it may be cut short)."""
        with self.lock:
            self.timer.cancel()
            if self.fired:
                raise TimeoutError
            self.done = True

    def close(self, *closables) -> None:
        with self.lock:
            self.timer.cancel()
            self.done = True
            for closable in closables:
                if closable is not None:
                    closable.close()


def _connection(parts: urllib.parse.SplitResult, timeout: float) -> tuple[http.client.HTTPConnection, str, dict]:
    """A connection for ``parts`` (through the environment's proxy, as urllib does), the request
    target, and the headers the proxy needs."""
    https = parts.scheme.lower() == "https"
    cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = urllib.request.getproxies().get(parts.scheme.lower())
    if proxy and not urllib.request.proxy_bypass(parts.hostname):
        via = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        auth = {}
        if via.username is not None:
            token = f"{urllib.parse.unquote(via.username)}:{urllib.parse.unquote(via.password or '')}"
            auth["Proxy-Authorization"] = f"Basic {base64.b64encode(token.encode()).decode()}"
        if https:  # a tunnel through the proxy, TLS to the server
            conn = cls(via.hostname, via.port or 8080, timeout=timeout)
            conn.set_tunnel(parts.hostname, parts.port or 443, headers=auth)
            return conn, target, {}
        conn = http.client.HTTPConnection(via.hostname, via.port or 8080, timeout=timeout)
        return conn, urllib.parse.urlunsplit(parts._replace(fragment="")), auth  # the whole URL, to the proxy
    return cls(parts.hostname, parts.port, timeout=timeout), target, {}


@dataclass
class Endpoint:
    url: str
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0  # seconds for a whole request: connecting, sending, and the full answer
    tries: int = 3
    backoff: float = 0.5  # seconds before the second try; doubled before each later one

    def __post_init__(self) -> None:
        check_url(self.url)

    def request(self, method: str, url: str, data: bytes | None = None, headers: dict | None = None) -> bytes:
        """One HTTP exchange, retried with backoff on refusals, resets, timeouts and 5xx answers."""
        check_url(url)
        headers = dict(headers or {})
        if data is not None:
            # a server that reads exactly this many bytes rejects a body cut short by a dropped
            # connection instead of storing its first part
            headers["Content-Length"] = str(len(data))
        if self.user:
            token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        headers.setdefault("User-Agent", "sensekg")
        headers["Connection"] = "close"
        last = ""
        for attempt in range(self.tries):
            try:
                status, reason, body = self._exchange(method, url, data, headers)
            except TimeoutError:
                last = f"no complete answer within {self.timeout:g} s"
            except http.client.IncompleteRead as exc:
                last = f"the answer ended after {len(exc.partial)} bytes, before its end"
            except (OSError, http.client.HTTPException) as exc:
                last = " ".join(str(exc).split()) or type(exc).__name__
            else:
                if 200 <= status < 300:
                    return body
                detail = " ".join(body[:300].decode("utf-8", "replace").split())  # one line
                if status < 500:
                    raise RemoteUnavailable(f"{method} {url} answered {status} {reason}: {detail}")
                last = f"{status} {reason}: {detail}"
            if attempt + 1 < self.tries:
                time.sleep(self.backoff * 2 ** attempt)
        tries = "1 try" if self.tries == 1 else f"{self.tries} tries"
        raise RemoteUnavailable(f"{method} {url} failed after {tries}: {last}")

    def _exchange(self, method: str, url: str, data: bytes | None, headers: dict) -> tuple[int, str, bytes]:
        """One try: the status, reason and full body; TimeoutError once ``timeout`` has passed."""
        conn, target, proxy_headers = _connection(urllib.parse.urlsplit(url), self.timeout)
        deadline = _Deadline(self.timeout)
        response = None
        try:
            conn.connect()
            deadline.watch(conn.sock)
            conn.request(method, target, body=data, headers={**headers, **proxy_headers})
            response = conn.getresponse()
            body = response.read()
            deadline.finish()
            return response.status, response.reason, body
        except (OSError, http.client.HTTPException):
            if deadline.fired:
                raise TimeoutError from None
            raise
        finally:
            deadline.close(response, conn)


@dataclass
class Solutions:
    """SELECT results read in full, iterable like pyoxigraph's QuerySolutions."""

    variables: list
    rows: list

    def __iter__(self):
        return iter(self.rows)


class RemoteStore:
    """The ``query`` method of a pyoxigraph store, answered by a SPARQL endpoint.

    Raises RemoteUnavailable when the server cannot be reached, answers with an error, or answers
    with something that is not SPARQL JSON results; QueryTimeout when it stopped the query at its
    time limit.
    """

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint

    def query(self, text: str):
        body = urllib.parse.urlencode({"query": text}).encode()
        data = self.endpoint.request("POST", self.endpoint.url, body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        })
        parsed = None
        try:
            parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
            if isinstance(parsed, ox.QueryBoolean):
                return parsed
            return Solutions(parsed.variables, list(parsed))  # parsing is lazy: read it all now
        except (SyntaxError, ValueError, TypeError) as exc:
            # drop pyoxigraph's parser here: the traceback keeps this frame, and the parser may only
            # be dropped by the thread that made it, not by a later garbage collection on another one
            parsed = None
            tail = data[-300:]
            trailing = tail[max(tail.rfind(b"}"), tail.rfind(b"]")) + 1:].lower()
            if any(marker in trailing for marker in _CANCELLED):
                raise QueryTimeout(f"the query timed out on {self.endpoint.url} and was cancelled") from None
            reason = " ".join(str(exc).split())
            start = data[:80].decode("utf-8", "replace")
            raise RemoteUnavailable(f"POST {self.endpoint.url}: the server's answer is not SPARQL JSON results "
                                    f"({reason}): {start!r}") from None


def secret_from(variable: str | None, option: str) -> str | None:
    """The value of the environment variable an option names (secrets stay off the command line)."""
    if variable is None:
        return None
    if not os.environ.get(variable):
        raise InputError(f"{option} {variable}: the environment has no such variable, or it is empty")
    return os.environ[variable]


def _with_query(url: str, params: str) -> str:
    return f"{url}{'&' if urllib.parse.urlsplit(url).query else '?'}{params}"


def _remote_counts(store: RemoteStore) -> dict[str, int]:
    """The number of triples in each named graph of the server, checked to be what was asked for."""
    answer = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    wrong = f"POST {store.endpoint.url}: the server's answer is not the counts asked for:"
    if not isinstance(answer, Solutions):
        raise RemoteUnavailable(f"{wrong} a yes/no answer where solutions were asked for")
    counts = {}
    for solution in answer:
        graph, count = solution["g"], solution["n"]
        if not isinstance(graph, ox.NamedNode):
            raise RemoteUnavailable(f"{wrong} ?g is {graph or 'unbound'}, not the IRI of a graph")
        if not isinstance(count, ox.Literal) or not (count.value.isascii() and count.value.isdigit()):
            raise RemoteUnavailable(f"{wrong} ?n of {graph} is {count or 'unbound'}, not a whole number")
        counts[graph.value] = int(count.value)
    return counts


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
        url = _with_query(gsp.url, urllib.parse.urlencode({"graph": name}))
        gsp.request("PUT", url, data, {"Content-Type": "application/n-triples"})
        progress(f"PUT {name}: {len(triples)} triples")
    union = sorted({t for triples in graphs.values() for t in triples}, key=str)
    gsp.request("PUT", _with_query(gsp.url, "default"), ox.serialize(union, format=ox.RdfFormat.N_TRIPLES),
                {"Content-Type": "application/n-triples"})
    progress(f"PUT the default graph (the union): {len(union)} triples")
    remote = _remote_counts(RemoteStore(query))
    return {name: (len(set(triples)), remote.get(name, 0)) for name, triples in sorted(graphs.items())}
