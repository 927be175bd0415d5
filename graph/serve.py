"""``sensekg serve``: the Oxigraph server (PyPI package ``oxigraph``) over the build's store,
and the saved-queries API beside it, both on loopback unless told otherwise."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from sensekg.loaders.errors import InputError

from .buildio import STORE, resolve_graph_path


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).is_file():
        raise InputError("the Oxigraph server is not installed; pip install oxigraph")
    return found


def start_oxigraph(store: Path, host: str, port: int, writable: bool, timeout: float) -> subprocess.Popen:
    command = [oxigraph_binary(), "serve" if writable else "serve-read-only", "--location", str(store),
               "--bind", f"{host}:{port}", "--timeout-s", str(max(1, round(timeout)))]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://{host}:{port}/query?query=ASK%7B%7D"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode("utf-8", "replace").strip() if process.stderr else ""
            raise InputError(f"the Oxigraph server stopped at start: {error or 'no message'}", path=store)
        try:
            with urllib.request.urlopen(url, timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise InputError(f"the Oxigraph server did not answer on {host}:{port} within 20 s")


def serve(graph_dir: Path, host: str, port: int, api_port: int, writable: bool, timeout: float,
          say: Callable[[str], None]) -> None:
    import uvicorn

    from .api import create_app

    folder = resolve_graph_path(graph_dir).parent
    store = folder / STORE
    if not store.is_dir():
        raise InputError("this build has no store; run `sensekg build --force`", path=store)
    process = start_oxigraph(store, host, port, writable, timeout)
    try:
        say(f"SPARQL endpoint ({'read-write' if writable else 'read-only'}): http://{host}:{port}/query "
            f"(Graph Store: http://{host}:{port}/store)")
        say(f"Saved queries: http://{host}:{api_port}/api/queries (OpenAPI: http://{host}:{api_port}/openapi.json)")
        say("Press Ctrl-C to stop.")
        # uvicorn shuts down gracefully on Ctrl-C, then re-raises the interrupt it caught
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.run(create_app(f"http://{host}:{port}/query", timeout), host=host, port=api_port,
                        log_level="warning")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        say("Stopped.")
