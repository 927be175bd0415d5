"""The long attacks on `sensekg serve`, each bounded in time and on 127.0.0.1 only.

    python bench/serve_attacks.py [--graph build] [--slow 1000] [--bad 2000]

1. The panicking sort: `SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f`, which makes
   Oxigraph 0.5.13 hold gigabytes past its own timeout and then panic. Prints how long the
   client waited, the answer's status, and how long until the endpoint answered again.
2. Slow connections: N sockets that send half a request head and stop. Prints how long an
   ordinary query took while they were open, and how many of them the server had closed
   after its head timeout.
3. Filling the error pipe: N queries that Oxigraph cancels at its timeout (each makes it
   write an error line), from 16 clients at once, then an ordinary query. Before the child's
   stderr was drained, about 730 hung it for good.

Exit status 1 when any attack takes the endpoint down.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
HEAD_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str, within: float) -> float | None:
    """Seconds until the endpoint answers a count, or None if it does not within ``within``."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            got = httpx.get(f"{url}/query", params={"query": COUNT}, timeout=10,
                            headers={"Accept": "application/sparql-results+json"})
            if got.status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, default=Path("build"))
    parser.add_argument("--slow", type=int, default=1000, help="slow connections to open")
    parser.add_argument("--bad", type=int, default=1500, help="queries that time out, to send")
    parser.add_argument("--timeout", type=float, default=1.0, help="the server's --timeout")
    args = parser.parse_args(argv)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp()) / "serve.log"
    server = subprocess.Popen([str(Path(sys.executable).with_name("sensekg")), "serve", "--graph", str(args.graph),
                               "--port", str(port), "--timeout", str(args.timeout), "--log", str(log)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failed = False
    try:
        if answers(url, 30) is None:
            print("the server did not start")
            return 1
        print(f"sensekg serve on {url}, --timeout {args.timeout:g} s, log {log}\n")

        started = time.monotonic()
        try:
            query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
            status = httpx.get(f"{url}/query", params={"query": query}, timeout=120).status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        waited = time.monotonic() - started
        back = answers(url, 60)
        failed |= back is None
        print(f"1. panicking sort: answer {status} after {waited:.1f} s; endpoint answered again "
              f"{'never' if back is None else f'{back:.1f} s later'}")

        slow = []
        for _ in range(args.slow):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /query HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        took = answers(url, 30)
        failed |= took is None
        time.sleep(HEAD_TIMEOUT + 2)
        closed = 0
        for sock in slow:
            sock.settimeout(0.05)
            with contextlib.suppress(TimeoutError, OSError):
                closed += sock.recv(1) == b""
            sock.close()
        print(f"2. {args.slow} slow connections: a query answered in "
              f"{'never' if took is None else f'{took:.2f} s'}; {closed} of them closed by the server "
              f"after its {HEAD_TIMEOUT:g} s head timeout")

        started = time.monotonic()
        cancelled = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"

        def timed_out(_: int) -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url}/query", params={"query": cancelled}, timeout=30)

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(timed_out, range(args.bad)))
        took = answers(url, 30)
        failed |= took is None
        lines = len(re.findall(r"oxigraph\[\d+\]: Internal server error", log.read_text(encoding="utf-8")))
        print(f"3. {args.bad} queries cancelled at the timeout in {time.monotonic() - started:.0f} s: the endpoint "
              f"{'hung' if took is None else 'still answers'}; the log holds {lines} error lines from Oxigraph")
        restarts = log.read_text(encoding="utf-8").count("restarting the SPARQL endpoint")
        print(f"\nrestarts of the Oxigraph child: {restarts}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
