"""`sensekg push` against servers that fail: refusing, silent, erroring, or dropping the upload.

Each fault is played by a small TCP server on a free loopback port that notes when every
connection arrived and ended, so the tests can count the tries and measure the waits between
them. The dropped-upload case runs a cutting proxy in front of a real, writable Oxigraph server.
"""

from __future__ import annotations

import hashlib
import select
import shutil
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sensekg.graph import remote
from sensekg.graph.cli import main
from sensekg.graph.remote import Endpoint, RemoteStore
from sensekg.graph.runner import run_saved
from sensekg.graph.saved import load_saved

BACKOFF = 0.3  # the first wait in these tests; push's own default is longer
TRIES = Endpoint("http://127.0.0.1").tries
ONTOLOGY = "https://w3id.org/sensekg/ontology"
ANNUAL = "https://w3id.org/sensekg/report/annual-results-2024"


@dataclass
class QuickEndpoint(Endpoint):
    backoff: float = BACKOFF


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    """The push command builds its endpoints from sensekg.graph.remote.Endpoint at call time."""
    monkeypatch.setattr(remote, "Endpoint", QuickEndpoint)


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def build_copy(built, module_tmp) -> Path:
    """A private copy of the real build, so no other test's server can touch the files hashed here."""
    out = module_tmp("push-faults") / "build"
    shutil.copytree(built[1], out)
    return out


@pytest.fixture(scope="module")
def build_digest(build_copy) -> dict[str, str]:
    """Every file of the copy, hashed before any push; each test checks the copy still matches."""
    return digest(build_copy)


@dataclass
class Attempt:
    """One connection: when it arrived and ended, what it asked, and what happened to it."""

    arrived: float
    ended: float = 0.0
    head: bytes = b""
    cut: tuple[int, int, bool] | None = None  # bytes forwarded, bytes announced, forwarded part ends a line
    sent: int = 0  # bytes of the answer sent one at a time by a trickling server
    upstream_answer: bytes = b""

    @property
    def method(self) -> str:
        return self.head.split(b" ", 1)[0].decode() if self.head else ""

    @property
    def target(self) -> str:
        return urllib.parse.unquote(self.head.split(b" ", 2)[1].decode()) if self.head else ""


class FaultyServer:
    """A TCP server on a free 127.0.0.1 port that plays ``handle(conn, attempt)`` on every connection."""

    def __init__(self, handle: Callable[[socket.socket, Attempt], None]):
        self.handle = handle
        self.attempts: list[Attempt] = []
        self.workers: list[threading.Thread] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopping = threading.Event()
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            attempt = Attempt(time.monotonic())
            self.attempts.append(attempt)
            worker = threading.Thread(target=self._one, args=(conn, attempt), daemon=True)
            self.workers.append(worker)
            worker.start()

    def _one(self, conn: socket.socket, attempt: Attempt) -> None:
        conn.settimeout(60)
        try:
            with conn:
                self.handle(conn, attempt)
        except OSError:
            pass
        finally:
            attempt.ended = attempt.ended or time.monotonic()

    def stop(self) -> None:
        self.stopping.set()
        self.acceptor.join(timeout=5)
        self.listener.close()
        for worker in self.workers:
            worker.join(timeout=60)
        assert not any(worker.is_alive() for worker in self.workers)


@pytest.fixture
def faulty():
    """Start faulty servers on demand; every one is stopped (and its connections finished) at the end."""
    started: list[FaultyServer] = []

    def start(handle):
        server = FaultyServer(handle)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def read_head(conn: socket.socket) -> tuple[bytes, bytes]:
    """The request line and headers (through the blank line), and whatever body came with them."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("the client left before sending its headers")
        data += chunk
    end = data.index(b"\r\n\r\n") + 4
    return data[:end], data[end:]


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def read_exactly(conn: socket.socket, have: bytes, size: int) -> bytes:
    while len(have) < size:
        chunk = conn.recv(65536)
        if not chunk:
            break
        have += chunk
    return have


def reset(conn: socket.socket) -> None:
    """Close with an RST, as a crashing server or a broken network does."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def refuse(conn: socket.socket, attempt: Attempt) -> None:
    reset(conn)


def never_answer(conn: socket.socket, attempt: Attempt) -> None:
    attempt.head, _ = read_head(conn)
    while conn.recv(65536):  # take the body and wait; the connection ends when the client gives up
        pass


def answer_500(conn: socket.socket, attempt: Attempt) -> None:
    attempt.head, body = read_head(conn)
    read_exactly(conn, body, content_length(attempt.head))
    page = b"<html>\n<body>\n<h1>Internal Server Error</h1>\n<p>the store is\nunavailable</p>\n</body>\n</html>\n"
    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nConnection: close\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(page), page))


def client_left(conn: socket.socket, seconds: float) -> bool:
    """Wait up to ``seconds``; True as soon as the client shuts the connection (it sends nothing
    after its request, so the socket turns readable only when the client has gone)."""
    ready, _, _ = select.select([conn], [], [], seconds)
    if not ready:
        return False
    try:
        return conn.recv(1) == b""
    except OSError:
        return True


def trickle(prefix: bytes, slow: bytes, limit: int = 8):
    """Take the whole request, send ``prefix`` at once, then ``slow`` one byte a second: at most
    ``limit`` bytes, so the server stops by itself even if the client never gives up. The try
    ends (``attempt.ended``) the moment the client shuts the connection."""

    def handle(conn: socket.socket, attempt: Attempt) -> None:
        attempt.head, body = read_head(conn)
        read_exactly(conn, body, content_length(attempt.head))
        conn.sendall(prefix)
        for byte in slow[:limit]:
            conn.sendall(bytes([byte]))
            attempt.sent += 1
            if client_left(conn, 1.0):
                return

    return handle


def run_push(runner, url: str, folder: Path, *options: str):
    started = time.monotonic()
    result = runner.invoke(main, ["push", url, "--graph", str(folder), *options])
    return result, time.monotonic() - started


def assert_clear_error(result, url: str, *failure: str) -> str:
    """Exit 2 and one line on stderr naming the URL and the failure, without a traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.startswith("sensekg: error:")]
    assert len(errors) == 1 and errors[0] == result.stderr.splitlines()[-1], result.stderr
    line = errors[0]
    assert f"{url}/store?graph=" in line and f"failed after {TRIES} tries" in line, line
    assert any(word in line for word in failure), line
    return line


def assert_backoff(attempts: list[Attempt]) -> None:
    """Each wait (from the end of one try to the start of the next) is about twice the one before."""
    assert len(attempts) == TRIES
    waits = [later.arrived - earlier.ended for earlier, later in zip(attempts, attempts[1:], strict=False)]
    for k, wait in enumerate(waits):
        assert wait >= 0.8 * BACKOFF * 2 ** k, waits
    for shorter, longer in zip(waits, waits[1:], strict=False):
        assert longer - shorter >= 0.5 * BACKOFF, waits  # it grew, by about one first wait


def test_a_server_that_resets_every_connection(runner, faulty, build_copy, build_digest):
    server = faulty(refuse)
    result, _ = run_push(runner, server.url, build_copy, "--timeout", "5")
    server.stop()
    assert_clear_error(result, server.url, "reset", "closed", "refused")
    assert_backoff(server.attempts)
    assert digest(build_copy) == build_digest


def test_nothing_listening_is_tried_again_then_a_clear_error(runner, build_copy, build_digest):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening: connections are refused
        result, elapsed = run_push(runner, url, build_copy, "--timeout", "5")
    assert_clear_error(result, url, "refused")
    assert elapsed >= 0.9 * sum(BACKOFF * 2 ** k for k in range(TRIES - 1))  # it waited between the tries
    assert digest(build_copy) == build_digest


def test_a_server_that_never_answers(runner, faulty, build_copy, build_digest):
    server = faulty(never_answer)
    result, elapsed = run_push(runner, server.url, build_copy, "--timeout", "0.5")
    server.stop()
    assert_clear_error(result, server.url, "no complete answer within 0.5 s")
    assert_backoff(server.attempts)
    assert {a.method for a in server.attempts} == {"PUT"}  # the same upload, tried again
    assert {a.target for a in server.attempts} == {f"/store?graph={ONTOLOGY}"}
    for attempt in server.attempts:
        assert attempt.ended - attempt.arrived >= 0.45  # each try waited for its timeout
    assert elapsed < 30  # the --timeout was used: one default 60 s timeout would take longer
    assert digest(build_copy) == build_digest


@pytest.mark.parametrize(("prefix", "slow"), [
    pytest.param(b"", b"HTTP/1.1 204 No Content\r\n\r\n", id="status-line"),
    pytest.param(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 64\r\n\r\n", b"x" * 64, id="body"),
    pytest.param(b"HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\nx\r\n" * 16,
                 id="chunked-body"),
])
def test_a_server_that_trickles_its_answer_is_cut_off_at_the_timeout(
        runner, faulty, build_copy, build_digest, prefix, slow):
    """--timeout bounds each whole request, not each read: one byte a second does not keep push waiting."""
    server = faulty(trickle(prefix, slow))
    result, _ = run_push(runner, server.url, build_copy, "--timeout", "2")
    server.stop()
    assert_clear_error(result, server.url, "no complete answer within 2 s")
    attempts = server.attempts
    assert len(attempts) == TRIES and all(a.sent >= 1 for a in attempts)  # it did trickle
    # Timed at the server, from a try's connection to the client shutting it: a try left to run
    # would last 8 s (the trickle's limit), so each try was cut at its 2 s deadline. Measuring at
    # the server keeps out what the client does before the first try and after the last (reading
    # and freeing the build), which on a loaded machine took seconds.
    durations = [a.ended - a.arrived for a in attempts]
    assert all(1.9 <= d <= 3.0 for d in durations), durations
    backoffs = [BACKOFF * 2 ** k for k in range(TRIES - 1)]
    for earlier, later, backoff in zip(attempts, attempts[1:], backoffs, strict=False):
        assert 0.8 * backoff <= later.arrived - earlier.ended <= backoff + 1.0  # then a backoff, not a long wait
    assert digest(build_copy) == build_digest


def test_a_server_that_answers_500(runner, faulty, build_copy, build_digest):
    server = faulty(answer_500)
    result, _ = run_push(runner, server.url, build_copy, "--timeout", "5")
    server.stop()
    line = assert_clear_error(result, server.url, "500 Internal Server Error")
    assert "the store is unavailable" in line  # the server's page, on the same line
    assert_backoff(server.attempts)
    assert {a.target for a in server.attempts} == {f"/store?graph={ONTOLOGY}"}
    assert digest(build_copy) == build_digest


# --- dropping the connection halfway, in front of a real Oxigraph server --------------------------------


@pytest.fixture(scope="module")
def oxigraph(server) -> int:
    """The port of the module's real read-write Oxigraph server (conftest's ``server``)."""
    return int(server.rsplit(":", 1)[1])


def remote_counts(port: int) -> dict[str, int]:
    store = RemoteStore(Endpoint(f"http://127.0.0.1:{port}/query"))
    counts = {s["g"].value: int(s["n"].value)
              for s in store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    counts["(default)"] = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
    return counts


@pytest.fixture(scope="module")
def pushed_once(oxigraph, build_copy):
    """The build pushed straight to the real server; its counts are what every later state must match."""
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["push", f"http://127.0.0.1:{oxigraph}", "--graph", str(build_copy)])
    assert result.exit_code == 0, result.output
    counts = remote_counts(oxigraph)
    assert ONTOLOGY in counts and ANNUAL in counts and counts["(default)"] > counts[ANNUAL] > 0
    return counts


def test_push_uploads_every_named_graph_with_matching_counts(pushed_once, built):
    """The whole build, pushed by the module's fixture: every named graph, and the union as the
    default graph, with the counts the build holds."""
    named = {g: n for g, n in pushed_once.items() if g != "(default)"}
    assert set(named) == {ONTOLOGY} | {f"https://w3id.org/sensekg/report/{r}" for r in built[0].corpus.ids}
    assert sum(named.values()) == len(built[0].quads)
    union = {(q.subject, q.predicate, q.object) for q in built[0].quads}
    assert pushed_once["(default)"] == len(union)


SAMPLES = [("certifications", {"entity": "SenseAuto"}), ("board", {"report": "interim-results-2025h1"}),
           ("revenue-by-segment", {})]


@pytest.mark.parametrize(("name", "params"), SAMPLES)
def test_saved_queries_answer_the_same_over_http(pushed_once, oxigraph, store, name, params):
    """Over HTTP on the pushed build (push sends the union as the default graph) as on the local store."""
    query = load_saved()[name]
    remote = RemoteStore(Endpoint(f"http://127.0.0.1:{oxigraph}/query"))
    local_rows = sorted(map(str, run_saved(store, query, params)[1]))
    remote_rows = sorted(map(str, run_saved(remote, query, params)[1]))
    assert remote_rows == local_rows and local_rows


def cutting_proxy(upstream: int, graph: str, fraction: float, at_line_end: bool):
    """Forward every request to ``upstream``, except that a PUT of ``graph`` is cut off: only the
    first ``fraction`` of its body goes through (back to the last line end if ``at_line_end``), then
    both connections close. The server's own answer to the cut upload is kept on the attempt."""

    def handle(conn: socket.socket, attempt: Attempt) -> None:
        attempt.head, body = read_head(conn)
        length = content_length(attempt.head)
        with socket.create_connection(("127.0.0.1", upstream), timeout=120) as server:
            server.sendall(attempt.head)
            if attempt.method == "PUT" and attempt.target.endswith(f"graph={graph}"):
                cut = int(length * fraction)
                body = read_exactly(conn, body, cut)
                if at_line_end:
                    cut = body.rindex(b"\n", 0, cut) + 1  # a body that looks complete, line by line
                server.sendall(body[:cut])
                reset(conn)  # the client is still uploading: it sees the connection dropped
                attempt.ended = time.monotonic()
                attempt.cut = (cut, length, body[cut - 1:cut] == b"\n")
                server.shutdown(socket.SHUT_WR)  # and the server sees its request end early
                attempt.upstream_answer = read_exactly(server, b"", 1 << 20)
                return
            server.sendall(read_exactly(conn, body, length))
            while chunk := server.recv(65536):  # the client asked for Connection: close
                conn.sendall(chunk)

    return handle


@pytest.mark.parametrize(("graph", "fraction", "at_line_end"), [
    pytest.param(ONTOLOGY, 0.3, False, id="mid-line"),
    pytest.param(ONTOLOGY, 0.3, True, id="at-a-line-end"),
])
def test_a_connection_dropped_halfway_leaves_every_graph_whole(
        runner, faulty, build_copy, build_digest, oxigraph, pushed_once, graph, fraction, at_line_end):
    proxy = faulty(cutting_proxy(oxigraph, graph, fraction, at_line_end))
    result, _ = run_push(runner, proxy.url, build_copy)
    proxy.stop()  # waits for the server's answers to the cut uploads
    line = assert_clear_error(result, proxy.url, "reset", "closed", "Broken pipe", "aborted")
    assert urllib.parse.quote(graph, safe="") in line  # it names the graph it could not upload
    cut = [a for a in proxy.attempts if a.cut]
    assert_backoff(cut)
    for attempt in cut:
        forwarded, announced, ends_line = attempt.cut
        assert 0 < forwarded < announced  # a part of the body went through, and its full length was announced
        assert ends_line == at_line_end
        status = attempt.upstream_answer.split(b" ", 2)[1]
        assert status[:1] in (b"4", b"5"), attempt.upstream_answer[:200]  # the server refused the part
    assert len(proxy.attempts) == TRIES  # push stopped at the graph it could not upload
    assert remote_counts(oxigraph) == pushed_once  # no graph half-written, none emptied
    assert digest(build_copy) == build_digest
