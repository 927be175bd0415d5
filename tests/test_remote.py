"""sensekg.graph.remote against small scripted HTTP servers on 127.0.0.1: URLs refused before any
request, answers that are not SPARQL JSON results, counts that are not counts, a query the server
cancelled, error statuses, a trickled answer, and what every request carries."""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import free_port

from sensekg.graph import cli, remote
from sensekg.graph.cli import main
from sensekg.graph.remote import Endpoint, RemoteStore
from sensekg.loaders.errors import InputError, QueryTimeout, RemoteUnavailable

ONTOLOGY = "https://w3id.org/sensekg/ontology"
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/sparql-results+json"


@dataclass
class Scripted:
    """What the server answers (by method), and every request it saw."""

    url: str
    answers: dict[str, Answer | Callable] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)


@pytest.fixture
def scripted():
    """A threading http.server on a free 127.0.0.1 port, shut down at the end of the test."""
    started = []

    def start(**answers) -> Scripted:
        state = Scripted("")

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                state.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                answer = state.answers.get(self.command, Answer(204))
                if callable(answer):
                    answer(self)
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = _any

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
        state.answers.update(answers)
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((httpd, thread))
        return state

    yield start
    for httpd, thread in started:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive()


def one_error_line(result) -> str:
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("sensekg: error:")]
    assert len(errors) == 1 and errors[0] == result.stderr.splitlines()[-1], result.stderr
    return errors[0]


# --- URLs refused before any request ------------------------------------------------------------------


@pytest.mark.parametrize(("url", "says"), [
    ("", "is empty"),
    ("ftp://x", "is not an http:// or https:// URL"),
    ("file:///etc/passwd", "is not an http:// or https:// URL"),
    ("example.org/sparql", "is not an http:// or https:// URL"),
    ("localhost:7878", "is not an http:// or https:// URL"),
    ("javascript:alert(1)", "is not an http:// or https:// URL"),
    ("http://", "names no host"),
    ("http:///store", "names no host"),
    ("http://h:99999/query", "bad port"),
    ("http://h:port/query", "bad port"),
    ("http://h/a b", "a space, a control character"),
    ("http://h/\r\nX-Injected: 1", "a space, a control character"),
    ("http://ü.example/query", "not ASCII"),
])
def test_check_url_refuses_what_is_not_an_http_url(url, says):
    with pytest.raises(InputError) as caught:
        remote.check_url(url)
    assert type(caught.value) is InputError and caught.value.exit_code == 2
    line = caught.value.one_line()
    assert repr(url).strip("'") in line or url in line, line  # it names the URL
    assert says in line, line
    with pytest.raises(InputError):
        Endpoint(url)  # an endpoint checks its URL when it is made


def test_check_url_hides_a_password_in_the_url():
    with pytest.raises(InputError) as caught:
        remote.check_url("http://me:s3cret@h.example/query")
    assert "s3cret" not in str(caught.value) and "--password-env" in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:7878/query", "https://example.org/sparql?x=1", "HTTP://[::1]:1/x",
                                 "http://localhost"])
def test_check_url_keeps_http_urls(url):
    assert remote.check_url(url) == url
    assert Endpoint(url).url == url


@pytest.mark.parametrize(("url", "options", "named"), [
    ("", [], "''"),  # the URL is checked as given, before /store and /query are added
    ("ftp://x", [], "'ftp://x'"),
    ("file:///etc/passwd", [], "'file:///etc/passwd'"),
    ("example.org", [], "'example.org'"),
    ("http://127.0.0.1:9", ["--gsp", "ftp://x/store"], "ftp://x/store"),
    ("http://127.0.0.1:9", ["--query-endpoint", "file:///q"], "file:///q"),
])
def test_push_refuses_a_bad_url_before_any_request(runner, built, monkeypatch, url, options, named):
    connections = []

    def no_connection(*args, **kwargs):
        connections.append(args)
        raise AssertionError("a connection was made")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    read = []
    monkeypatch.setattr(cli, "load_quads", lambda folder: read.append(folder) or [])
    result = runner.invoke(main, ["push", url, "--graph", str(built[1]), *options])
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert named in line and ("http:// or https://" in line or "empty" in line), line
    assert connections == [] and read == []  # named before the build is read, which takes seconds


# --- answers that are not SPARQL JSON results -----------------------------------------------------------


@pytest.mark.parametrize("body", [
    pytest.param(b'{"head": 1}', id="head-not-an-object"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'{"results": {"bindings": "x"}}', id="bindings-not-an-array"),
    pytest.param(b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":"x"}]}}', id="term-not-an-object"),
    pytest.param(b'{"head":{"vars":["n"]},"results":{"bindings":[1]}}', id="solution-not-an-object"),
    pytest.param(b"<html>\n<body>It works!</body>\n</html>\n", id="html"),
    pytest.param(b"", id="empty"),
    pytest.param(b"\xff\xfe\x00", id="not-utf8"),
])
def test_an_answer_of_the_wrong_shape_is_remote_unavailable(scripted, body):
    server = scripted(POST=Answer(200, body))
    with pytest.raises(RemoteUnavailable) as caught:
        RemoteStore(Endpoint(f"{server.url}/query", tries=1)).query("SELECT * WHERE { ?s ?p ?o }")
    line = str(caught.value)
    assert "\n" not in line and f"POST {server.url}/query" in line, line
    assert "the server's answer is not SPARQL JSON results" in line, line
    assert caught.value.http_status == 502


BINDING = '{"g":{"type":"uri","value":"%s"},"n":%s}'


@pytest.fixture(scope="module")
def ontology_trig(built, module_tmp) -> Path:
    """The build's ontology graph alone, as a TriG file push reads like a build: the answers below
    are to the count query after the uploads, and a whole build's 770,000 triples would only make
    each test upload for ten seconds first."""
    import pyoxigraph as ox

    path = module_tmp("ontology") / "ontology.trig"
    quads = [q for q in built[0].quads if getattr(q.graph_name, "value", None) == ONTOLOGY]
    ox.serialize(quads, str(path), ox.RdfFormat.TRIG)
    return path


def counts_answer(*bindings: str) -> bytes:
    return ('{"head":{"vars":["g","n"]},"results":{"bindings":[' + ",".join(bindings) + "]}}").encode()


@pytest.mark.parametrize(("body", "says"), [
    pytest.param(counts_answer(BINDING % (ONTOLOGY, '{"type":"literal","value":"many"}')), '"many", not a whole number',
                 id="word"),
    pytest.param(counts_answer(BINDING % (ONTOLOGY, '{"type":"literal","value":"1.5"}')), "not a whole number",
                 id="decimal"),
    pytest.param(counts_answer(BINDING % (ONTOLOGY, '{"type":"literal","value":"-3"}')), "not a whole number",
                 id="negative"),
    pytest.param(counts_answer(BINDING % (ONTOLOGY, '{"type":"uri","value":"http://x/7"}')), "not a whole number",
                 id="iri"),
    pytest.param(counts_answer('{"g":{"type":"uri","value":"' + ONTOLOGY + '"}}'), "?n of", id="unbound"),
    pytest.param(counts_answer('{"g":{"type":"literal","value":"x"},"n":{"type":"literal","value":"1"}}'),
                 "not the IRI of a graph", id="graph-literal"),
    pytest.param(b'{"head":{},"boolean":true}', "a yes/no answer", id="boolean"),
])
def test_push_with_counts_that_are_not_counts_is_one_error_line(runner, ontology_trig, scripted, body, says):
    server = scripted(PUT=Answer(204), POST=Answer(200, body))
    result = runner.invoke(main, ["push", server.url, "--graph", str(ontology_trig), "--timeout", "2"])
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert f"POST {server.url}/query: the server's answer is not the counts asked for" in line and says in line, line
    assert {s.method for s in server.seen} == {"PUT", "POST"}


def test_push_with_an_answer_of_the_wrong_shape_is_one_error_line(runner, ontology_trig, scripted):
    server = scripted(PUT=Answer(204), POST=Answer(200, b'{"head": 1}'))
    result = runner.invoke(main, ["push", server.url, "--graph", str(ontology_trig), "--timeout", "2"])
    assert result.exit_code == 2, result.output
    assert "the server's answer is not SPARQL JSON results" in one_error_line(result)


# --- a query the server cancelled, a server that is not there, error statuses ---------------------------


@pytest.mark.parametrize("body", [
    # Oxigraph 0.5's answers when its --timeout-s stops a query: status 200, then its error after the JSON so far
    b'{"head":{"vars":["n"]},"results":{"bindings":[The SPARQL operation has been cancelled',
    b'{"head":{"vars":["a"]},"results":{"bindings":[{"a":{"type":"uri","value":"https://w3id.org/sensekg/id/x"}}'
    b"The SPARQL operation has been cancelled",
])
def test_an_answer_ended_by_the_server_timeout_is_a_query_timeout(scripted, body):
    server = scripted(POST=Answer(200, body))
    with pytest.raises(QueryTimeout) as caught:
        RemoteStore(Endpoint(f"{server.url}/query", tries=1)).query("SELECT * WHERE { ?s ?p ?o }")
    assert f"timed out on {server.url}/query" in str(caught.value)
    assert (caught.value.exit_code, caught.value.http_status) == (1, 504)


def test_a_real_oxigraph_timeout_is_a_query_timeout(built):
    from sensekg.graph.serve import start_oxigraph

    port = free_port()
    process = start_oxigraph(built[1] / "store", "127.0.0.1", port, False, 1)
    try:
        store = RemoteStore(Endpoint(f"http://127.0.0.1:{port}/query", tries=1))
        with pytest.raises(QueryTimeout):
            store.query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")
        assert bool(store.query("ASK { ?s ?p ?o }"))  # and the server still answers
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_server_that_is_not_there_is_remote_unavailable():
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(RemoteUnavailable) as caught:
        RemoteStore(Endpoint(url, tries=1)).query("ASK {}")
    assert str(caught.value).startswith(f"POST {url} failed after 1 try: ") and "refused" in str(caught.value)


@pytest.mark.parametrize(("status", "tries"), [(400, 1), (401, 1), (404, 1), (500, 3), (503, 3)])
def test_an_error_status_is_remote_unavailable(scripted, status, tries):
    """A 4xx is not tried again, a 5xx is; both are the server's error, not the user's input (HTTP 502)."""
    server = scripted(POST=Answer(status, b"<p>the\nreason</p>", "text/html"))
    with pytest.raises(RemoteUnavailable) as caught:
        RemoteStore(Endpoint(f"{server.url}/query", backoff=0.05)).query("ASK {}")
    assert type(caught.value) is RemoteUnavailable and f"{status} " in str(caught.value)
    assert "<p>the reason</p>" in str(caught.value)  # the server's page, on one line
    assert len(server.seen) == tries


# --- a trickled answer; what every request carries ------------------------------------------------------


def trickle_chunks(handler) -> None:
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Connection", "close")
    handler.end_headers()
    for _ in range(10):  # at most 10 s: the server stops by itself
        handler.wfile.write(b"1\r\n \r\n")
        handler.wfile.flush()
        time.sleep(1)


def test_a_trickled_answer_is_cut_off_at_the_timeout(scripted):
    server = scripted(POST=trickle_chunks)
    started = time.monotonic()
    with pytest.raises(RemoteUnavailable) as caught:
        RemoteStore(Endpoint(f"{server.url}/query", timeout=1, tries=1)).query("ASK {}")
    elapsed = time.monotonic() - started
    assert str(caught.value) == f"POST {server.url}/query failed after 1 try: no complete answer within 1 s"
    assert 1 <= elapsed < 3  # cut at 1 s; the server alone would trickle on for 10 s (slack for a loaded machine)


def test_a_request_carries_its_length_credentials_and_close(scripted):
    server = scripted(PUT=Answer(204))
    Endpoint(server.url, user="ann", password="pw").request(
        "PUT", f"{server.url}/store?graph=x", b"<a> <b> <c> .\n", {"Content-Type": "application/n-triples"})
    [seen] = server.seen
    assert (seen.method, seen.path, seen.body) == ("PUT", "/store?graph=x", b"<a> <b> <c> .\n")
    assert seen.headers["Content-Length"] == "14" and seen.headers["Connection"] == "close"
    assert seen.headers["Authorization"] == "Basic " + base64.b64encode(b"ann:pw").decode()


def test_the_environment_proxy_is_used_as_urllib_did(scripted, monkeypatch):
    proxy = scripted(POST=Answer(200, b'{"head":{},"boolean":true}'))
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy.url)
    assert bool(RemoteStore(Endpoint("http://sparql.invalid/query", tries=1)).query("ASK {}"))
    assert [s.path for s in proxy.seen] == ["http://sparql.invalid/query"]
