"""`sensekg serve` stays up and safe: a real server on 127.0.0.1, attacked as a hostile page or
client would. Everything stays on loopback, and every loop is bounded.

The long checks (the panicking sort at full memory, a thousand slow connections, filling the
error pipe) are in bench/serve_attacks.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import free_port

SENSEKG = str(Path(sys.executable).with_name("sensekg"))
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


class Served:
    def __init__(self, folder: Path, *args: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder.parent / f"serve-{self.port}.log"
        self.process = subprocess.Popen(
            [SENSEKG, "serve", "--graph", str(folder), "--port", str(self.port), "--log", str(self.log), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 30
        while not any("Press Ctrl-C" in line for line in self.lines):
            assert self.process.poll() is None, self.lines
            assert time.monotonic() < deadline, self.lines
            time.sleep(0.1)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    @property
    def token(self) -> str:
        return next(line.rsplit(" ", 1)[1] for line in self.lines if "Bearer" in line)

    def child_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"oxigraph\[(\d+)\]", self.log.read_text())]

    def count(self) -> int:
        answer = httpx.get(f"{self.url}/query", params={"query": COUNT}, headers=JSON, timeout=30)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture(scope="module")
def copy(built, module_tmp) -> Path:
    out = module_tmp("served") / "build"
    shutil.copytree(built[1], out)
    return out


@pytest.fixture(scope="module")
def readonly(copy):
    served = Served(copy, "--timeout", "2")
    yield served
    served.stop()


@pytest.fixture(scope="module")
def writable(built, module_tmp):
    out = module_tmp("writable") / "build"
    shutil.copytree(built[1], out)
    served = Served(out, "--writable")
    yield served
    served.stop()


class Listener:
    """A loopback socket that counts the connections made to it (for SERVICE and cross-site tests)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/x"
        self.hits = 0
        self.done = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.done.is_set():
            with contextlib.suppress(OSError):
                conn, _ = self.sock.accept()
                self.hits += 1
                conn.close()

    def close(self) -> None:
        self.done.set()
        self.sock.close()


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie waiting for its parent has ended too)."""
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return True


# -- writes: only with --writable, only with the token, never from a foreign page -----------------

def test_the_read_only_endpoint_refuses_every_write(readonly):
    before = readonly.count()
    attempts = [httpx.post(f"{readonly.url}/update", data={"update": "DROP ALL"}),
                httpx.put(f"{readonly.url}/store?default", content=b"<urn:a> <urn:b> <urn:c> .",
                          headers={"Content-Type": "application/n-triples"}),
                httpx.delete(f"{readonly.url}/store?default")]
    assert [a.status_code for a in attempts] == [403, 403, 403]
    assert readonly.count() == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}],
                         ids=["no token", "wrong token", "basic auth"])
def test_writes_need_the_token(writable, headers):
    before = writable.count()
    answer = httpx.post(f"{writable.url}/update", data={"update": "DROP ALL"}, headers=headers)
    assert answer.status_code == 401
    put = httpx.put(f"{writable.url}/store?default", content=b"<urn:a> <urn:b> <urn:c> .",
                    headers={"Content-Type": "application/n-triples", **headers})
    assert put.status_code == 401
    assert writable.count() == before


def test_a_foreign_page_cannot_write_even_with_the_token(writable):
    before = writable.count()
    answer = httpx.post(f"{writable.url}/update", data={"update": "DROP ALL"},
                        headers={"Origin": "http://evil.example", "Authorization": f"Bearer {writable.token}"})
    assert answer.status_code == 403 and "evil.example" in answer.json()["error"]
    assert writable.count() == before


def test_the_token_writes(writable):
    before = writable.count()
    insert = "INSERT DATA { <urn:a> <urn:b> 'c' }"
    answer = httpx.post(f"{writable.url}/update", data={"update": insert},
                        headers={"Authorization": f"Bearer {writable.token}", "Origin": writable.url})
    assert answer.status_code == 204, answer.text
    assert writable.count() == before + 1


def test_foreign_origins_cannot_read_either(readonly):
    for path in ("/query?query=ASK%7B%7D", "/api/queries"):
        assert httpx.get(readonly.url + path, headers={"Origin": "http://evil.example"}).status_code == 403
        assert httpx.get(readonly.url + path, headers={"Origin": readonly.url}).status_code == 200


def test_writable_beyond_loopback_needs_a_chosen_token(runner, built):
    from sensekg.graph.cli import main

    result = runner.invoke(main, ["serve", "--graph", str(built[1]), "--host", "0.0.0.0", "--port",
                                  str(free_port()), "--writable"])
    assert result.exit_code == 2 and "--token-env" in result.output
    assert "SPARQL endpoint" not in result.output


# -- SERVICE: no fetching of other URLs unless asked ----------------------------------------------

SERVICE = "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"


@pytest.mark.parametrize("how", ["GET", "form", "body", "lowercase", "silent"])
def test_the_endpoint_never_fetches_a_service_url(readonly, how):
    target = Listener()
    try:
        query = SERVICE.format(url=target.url)
        if how == "lowercase":
            query = query.replace("SERVICE", "service")
        if how == "silent":
            query = query.replace("SERVICE", "SERVICE SILENT")
        if how == "GET" or how in ("lowercase", "silent"):
            answer = httpx.get(f"{readonly.url}/query", params={"query": query})
        elif how == "form":
            answer = httpx.post(f"{readonly.url}/query", data={"query": query})
        else:
            answer = httpx.post(f"{readonly.url}/query", content=query.encode(),
                                headers={"Content-Type": "application/sparql-query"})
        assert answer.status_code == 403 and "--allow-service" in answer.json()["error"]
        time.sleep(0.3)
        assert target.hits == 0
    finally:
        target.close()


def test_sparql_on_the_command_line_never_fetches_a_service_url(runner, built):
    from sensekg.graph.cli import main

    target = Listener()
    try:
        result = runner.invoke(main, ["sparql", SERVICE.format(url=target.url), "--graph", str(built[1])])
        assert result.exit_code == 2 and "--allow-service" in result.output
        assert len(result.output.strip().splitlines()) == 1
        time.sleep(0.3)
        assert target.hits == 0
    finally:
        target.close()


# -- staying up -----------------------------------------------------------------------------------

def test_a_query_the_child_cannot_stop_is_stopped_and_the_endpoint_comes_back(readonly):
    """An ORDER BY over a cartesian product ignores Oxigraph's own timeout; the front answers 504
    at --timeout plus its grace, restarts the child, and the endpoint answers again."""
    started = time.monotonic()
    answer = httpx.get(f"{readonly.url}/query", params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"},
                       headers=JSON, timeout=60)
    assert answer.status_code == 504 and "--timeout 2 s" in answer.json()["error"]
    assert time.monotonic() - started < 2 + 5 + 5
    deadline = time.monotonic() + 20
    while True:
        with contextlib.suppress(httpx.HTTPError, AssertionError):
            assert readonly.count() > 100_000
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert "restarting the SPARQL endpoint: a request ran" in readonly.log.read_text()


def test_a_killed_child_is_restarted_and_the_reason_logged(readonly):
    pid = readonly.child_pids()[-1]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while readonly.child_pids()[-1] == pid:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert readonly.count() > 100_000
    assert "ended with signal 9" in readonly.log.read_text()
    answer = httpx.get(f"{readonly.url}/api/queries/certifications", params={"entity": "SenseAuto"})
    assert answer.status_code == 200


def test_slow_connections_do_not_lock_out_the_endpoint(readonly):
    """Oxigraph alone takes 256 connections and never times out a request head."""
    slow = []
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", readonly.port), timeout=5)
            sock.sendall(b"GET /query?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
            slow.append(sock)
        started = time.monotonic()
        assert readonly.count() > 100_000
        assert time.monotonic() - started < 15  # locked out, it would wait for its 30 s timeout
    finally:
        for sock in slow:
            sock.close()


def test_a_taken_port_is_one_error_line_and_nothing_announced(built, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run([SENSEKG, "serve", "--graph", str(built[1]), "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in done.stderr


def test_ipv6_loopback(built, tmp_path):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = free_port()
    process = subprocess.Popen([SENSEKG, "serve", "--graph", str(built[1]), "--host", "::1", "--port", str(port),
                                "--log", str(tmp_path / "serve.log")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert f"http://[::1]:{port}/query" in process.stdout.readline()
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://[::1]:{port}/query", params={"query": "ASK {}"}).status_code == 200:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def test_build_refuses_while_the_folder_is_served(runner, readonly, copy):
    from sensekg.graph.cli import main

    result = runner.invoke(main, ["build", "-q", "--force", "--out", str(copy)])
    assert result.exit_code == 2 and "sensekg serve" in result.output
    assert readonly.count() > 100_000


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_child_ends_with_serve(built, tmp_path, sig):
    """SIGTERM stops serve and its child in order; after SIGKILL the kernel ends the child
    (PR_SET_PDEATHSIG)."""
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    served = Served(out)
    pid = served.child_pids()[-1]
    served.process.send_signal(sig)
    code = served.process.wait(timeout=20)
    if sig == signal.SIGTERM:
        assert code == 0
    deadline = time.monotonic() + 10
    while not gone(pid):
        assert time.monotonic() < deadline, "the Oxigraph child outlived serve"
        time.sleep(0.1)


# -- what the second hostile test found ---------------------------------------------------------

def test_a_second_content_type_cannot_smuggle_a_service_call(readonly):
    target = Listener()
    try:
        encoded = "query=SELECT%20*%20WHERE%20%7B%20%53ERVICE%20%3C" + target.url.replace(":", "%3A").replace(
            "/", "%2F") + "%3E%20%7B%3Fs%20%3Fp%20%3Fo%7D%20%7D"
        answer = httpx.post(f"{readonly.url}/query", content=encoded.encode(),
                            headers=[("Content-Type", "text/plain"),
                                     ("Content-Type", "application/x-www-form-urlencoded")])
        assert answer.status_code == 400
        single = httpx.post(f"{readonly.url}/query", content=encoded.encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert single.status_code == 403
        time.sleep(0.3)
        assert target.hits == 0
    finally:
        target.close()


def test_load_is_refused_like_service(writable):
    target = Listener()
    try:
        answer = httpx.post(f"{writable.url}/update", content=f"LOAD SILENT <{target.url}>".encode(),
                            headers={"Authorization": f"Bearer {writable.token}",
                                     "Content-Type": "application/sparql-update"})
        assert answer.status_code == 403 and "LOAD" in answer.json()["error"]
        time.sleep(0.3)
        assert target.hits == 0
    finally:
        target.close()


def test_the_childs_internal_port_is_out_of_reach(writable):
    """The child listens in a network namespace of the front's own: nothing else can post to it."""
    assert not any("private network" in line for line in writable.lines), writable.lines
    port = int(re.findall(r"Listening for requests at http://127\.0\.0\.1:(\d+)", writable.log.read_text())[-1])
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"http://127.0.0.1:{port}/update", data={"update": "DROP ALL"}, timeout=3)


def test_a_query_cancelled_while_streaming_is_504_not_200(readonly):
    query = "SELECT (GROUP_CONCAT(STR(?o)) AS ?x) WHERE { ?s ?p ?o . ?s2 ?p2 ?o2 }"
    for accept in ("application/sparql-results+json", "text/csv"):
        answer = httpx.get(f"{readonly.url}/query", params={"query": query}, headers={"Accept": accept}, timeout=60)
        assert answer.status_code == 504, (accept, answer.status_code, answer.text[-200:])


def test_a_log_that_cannot_be_written_is_one_warning_and_the_endpoint_goes_on(tmp_path, capsys):
    """On a full disk every line the server logged printed a traceback on stderr (seen in a CI
    run whose disk had filled); now the first failure is one warning and the rest are dropped."""
    import errno
    import logging

    from sensekg.graph.serve import LogFile

    handler = LogFile(tmp_path / "serve.log", maxBytes=5 << 20, backupCount=3, encoding="utf-8")
    logger = logging.getLogger("sensekg.test-full-log")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        def full(*args):
            raise OSError(errno.ENOSPC, "No space left on device")

        handler.stream.write = full
        for number in range(3):
            logger.warning("request %d", number)
    finally:
        logger.removeHandler(handler)
        handler.close()
    err = capsys.readouterr().err
    assert err == (f"sensekg: warning: cannot write the log {tmp_path / 'serve.log'} ([Errno 28] No space left on "
                   "device); the endpoint goes on without it\n")
