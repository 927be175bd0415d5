"""A bounded load test of ``sensekg serve``: the SPARQL endpoint and the saved-queries API together.

    python bench/load.py                                  # ./build, 20 clients, 60 s
    python bench/load.py --graph build --clients 8 --seconds 10

It starts ``sensekg serve`` (the console script beside this Python) on 127.0.0.1 on two free
ports, waits until both the SPARQL endpoint (/query) and the API (/api/queries) answer, then
runs N concurrent clients (threads, one httpx client each) for the given time. Each client
sends a random mix (about a third SPARQL, the rest API) of:

- ``api``: every saved query at ``/api/queries/NAME`` with its example parameters, as JSON
  and as CSV;
- ``sparql``: a few representative SELECT queries sent to ``/query`` (count the
  certifications, look up a label, search labels, count quads per named graph).

A request is an error when it fails, answers other than 200, or its body is not what the
format promises (JSON rows, CSV with a header, SPARQL JSON results). The report gives the
total requests, throughput, p50 and p99 latency overall and per kind, the errors (count and
the first few distinct messages), and a Markdown table for bench/RESULTS.md.

The server is stopped at the end (SIGINT, then a wait, then kill) also on Ctrl-C or error.
Exit status: 0 when the run completed without errors, 1 when there were errors or it was
interrupted, 2 when the server did not start, 130 when interrupted before the load began.
Not a test: nothing asserts a latency.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sensekg.graph.saved import load_saved

HOST = "127.0.0.1"
PREFIXES = """PREFIX sk: <https://w3id.org/sensekg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
SPARQL = {
    "count certifications": "SELECT (COUNT(?c) AS ?n) WHERE { ?c a sk:Certification }",
    "label of an entity": "SELECT ?label WHERE { <https://w3id.org/sensekg/id/senseauto> rdfs:label ?label }",
    "entity by label": 'SELECT ?e WHERE { ?e rdfs:label ?l FILTER(LCASE(STR(?l)) = "senseauto") }',
    "search labels": 'SELECT ?e ?l WHERE { ?e rdfs:label ?l FILTER(CONTAINS(LCASE(STR(?l)), "sense")) } LIMIT 20',
    "quads per graph": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
}
SPARQL_SHARE = 1 / 3  # of the requests; the rest go to the API


class Stop(Exception):
    """SIGTERM, turned into an exception so the server is stopped on the way out."""


@dataclass(frozen=True)
class Call:
    kind: str  # "api" or "sparql"
    name: str
    url: str
    params: dict
    headers: dict
    expect: str  # "json", "csv" or "sparql"


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"api": [], "sparql": []})
    errors: Counter = field(default_factory=Counter)
    first_seen: dict[str, float] = field(default_factory=dict)  # time.monotonic() of each error's first time
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, error: str | None, when: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors[error] += 1
                self.first_seen.setdefault(error, when)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def calls(sparql_url: str, api_url: str) -> tuple[list[Call], list[Call]]:
    api = [Call("api", f"{q.name} ({fmt})", f"{api_url}/{q.name}", {**q.example, "format": fmt}, {}, fmt)
           for q in load_saved().values() for fmt in ("json", "csv")]
    sparql = [Call("sparql", name, sparql_url, {"query": PREFIXES + text},
                   {"Accept": "application/sparql-results+json"}, "sparql") for name, text in SPARQL.items()]
    return api, sparql


def problem(call: Call, response: httpx.Response) -> str | None:
    """Why an answer is wrong, or None when it is what the call expects."""
    if response.status_code != 200:
        return f"{response.status_code}: {response.text[:200]!r}"
    try:
        if call.expect == "csv":
            if not response.headers.get("content-type", "").startswith("text/csv") or not response.text:
                return f"not CSV: {response.headers.get('content-type')} {response.text[:100]!r}"
        elif call.expect == "json":
            if not isinstance(response.json().get("rows"), list):
                return f"no rows in the JSON answer: {response.text[:100]!r}"
        elif not isinstance(response.json()["results"]["bindings"], list):
            return f"not SPARQL JSON results: {response.text[:100]!r}"
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"unreadable answer ({type(exc).__name__}): {response.text[:100]!r}"
    return None


def client(number: int, api: list[Call], sparql: list[Call], until: float, stop: threading.Event,
           tally: Tally, request_timeout: float) -> None:
    pick = random.Random(number)
    with httpx.Client(timeout=request_timeout) as http:
        while not stop.is_set() and time.monotonic() < until:
            call = pick.choice(sparql if pick.random() < SPARQL_SHARE else api)
            start = time.perf_counter()
            try:
                response = http.get(call.url, params=call.params, headers=call.headers)
                error = problem(call, response)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            tally.add(call.kind, time.perf_counter() - start, error and f"{call.kind} {call.name}: {error}",
                      time.monotonic())


def start_server(graph: Path, port: int, timeout: float) -> tuple[subprocess.Popen, list[str]]:
    command = [str(Path(sys.executable).with_name("sensekg")), "serve", "--graph", str(graph), "--host", HOST,
               "--port", str(port), "--timeout", str(timeout)]
    # its own session: a Ctrl-C here reaches this script only, which then stops the server in order
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    output: list[str] = []

    def drain() -> None:  # read the server's output so a full pipe never blocks it
        for line in process.stdout:
            output.append(line.rstrip())

    threading.Thread(target=drain, daemon=True).start()
    return process, output


def wait_until_answering(process: subprocess.Popen, urls: list[str], output: list[str], within: float) -> None:
    deadline = time.monotonic() + within
    with httpx.Client(timeout=2) as http:
        for url in urls:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"sensekg serve stopped with status {process.returncode}:\n"
                                       + "\n".join(output[-20:]))
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(url).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not answer within {within:.0f} s:\n" + "\n".join(output[-20:]))
                time.sleep(0.2)


def stop_server(process: subprocess.Popen) -> int | None:
    """SIGINT (sensekg serve stops uvicorn and its Oxigraph server), then wait, then kill the group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its own group: sensekg serve and its oxigraph
            process.wait(timeout=10)
    return process.returncode


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of latencies, in milliseconds (nan when there are none)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return 1000 * ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report(tally: Tally, elapsed: float, args: argparse.Namespace, stopped_early: bool) -> str:
    everything = tally.latencies["api"] + tally.latencies["sparql"]
    errors_by_kind = Counter()
    for message, count in tally.errors.items():
        errors_by_kind[message.split(" ", 1)[0]] += count
    rows = [("all", everything, sum(tally.errors.values()))] + \
        [(kind, tally.latencies[kind], errors_by_kind[kind]) for kind in ("api", "sparql")]
    lines = [f"Load test: `python bench/load.py --clients {args.clients} --seconds {args.seconds:g}` on "
             f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"server and clients on the same machine; {elapsed:.1f} s measured"
             + (" (stopped early)" if stopped_early else "") + ".",
             "",
             "| kind   | requests | errors |  req/s | p50 ms | p99 ms |",
             "|--------|---------:|-------:|-------:|-------:|-------:|"]
    for kind, latencies, errors in rows:
        lines.append(f"| {kind:6s} | {len(latencies):8d} | {errors:6d} | {len(latencies) / elapsed:6.1f} "
                     f"| {percentile(latencies, 0.50):6.1f} | {percentile(latencies, 0.99):6.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, default=Path("build"), help="build folder (default ./build)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the load (default 60)")
    parser.add_argument("--timeout", type=float, default=10.0, help="server query timeout, s (default 10)")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="client timeout per request, s")
    args = parser.parse_args(argv)
    if not (args.graph / "store").is_dir():
        print(f"{args.graph}/store does not exist; run `sensekg build` first", file=sys.stderr)
        return 2

    port = free_port()
    sparql_url, api_url = f"http://{HOST}:{port}/query", f"http://{HOST}:{port}/api/queries"

    def on_term(*_) -> None:
        raise Stop

    signal.signal(signal.SIGTERM, on_term)
    process, output = start_server(args.graph, port, args.timeout)
    stop, tally, threads = threading.Event(), Tally(), []
    started = time.monotonic()
    stopped_early = False
    try:
        try:
            wait_until_answering(process, [f"{sparql_url}?query=ASK%7B%7D", api_url], output, 60)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 2
        api, sparql = calls(sparql_url, api_url)
        print(f"Serving {args.graph} at {sparql_url} and {api_url}; {args.clients} clients for {args.seconds:g} s "
              f"({len(api)} API calls, {len(sparql)} SPARQL queries in the mix)", flush=True)
        started = time.monotonic()
        until = started + args.seconds
        threads = [threading.Thread(target=client, args=(n, api, sparql, until, stop, tally, args.request_timeout),
                                    daemon=True) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(timeout=0.5)
                    if process.poll() is not None:
                        raise RuntimeError(f"sensekg serve stopped during the load with status {process.returncode}")
        except (KeyboardInterrupt, Stop):
            stopped_early = True
            print("Interrupted: stopping the clients and the server.", file=sys.stderr)
        except RuntimeError as exc:
            stopped_early = True
            print(exc, file=sys.stderr)
            tally.errors[f"server: {exc}"] += 1
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=args.request_timeout + 5)
        status = stop_server(process)
        if status not in (0, None):
            print(f"sensekg serve exited with status {status}", file=sys.stderr)
            if output:
                print("\n".join(output[-10:]), file=sys.stderr)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    total = len(tally.latencies["api"]) + len(tally.latencies["sparql"])
    errors = sum(tally.errors.values())
    print(f"\n{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} req/s; "
          f"p50 {percentile(tally.latencies['api'] + tally.latencies['sparql'], 0.5):.1f} ms, "
          f"p99 {percentile(tally.latencies['api'] + tally.latencies['sparql'], 0.99):.1f} ms; {errors} errors")
    for message, count in list(tally.errors.items())[:5]:  # the first distinct ones, in the order met
        at = tally.first_seen.get(message, started) - started
        print(f"  {count:6d} x {message} (first at {at:.1f} s)")
    if len(tally.errors) > 5:
        print(f"  ... and {len(tally.errors) - 5} other distinct errors")
    print()
    print(report(tally, elapsed, args, stopped_early))
    return 0 if errors == 0 and not stopped_early else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, Stop):  # before the load started; the server was stopped on the way out
        sys.exit(130)
