"""``sensekg serve``: one port, a guarded HTTP front, and a supervised Oxigraph server behind it.

The Oxigraph server (PyPI package ``oxigraph``) answers SPARQL over the build's store, but on
its own it can be taken down: a query can make it panic or hold gigabytes past its timeout,
256 slow connections lock it out, its error output fills a pipe, and it has no authentication.
So it listens only on an internal loopback port, and everything reaches it through the front,
a FastAPI app under uvicorn on the public port, which also serves the saved queries:

- **Supervision.** The child runs under an address-space limit (``--max-memory``); a watcher
  restarts it when it dies and logs why; its stderr is drained into a rotating log file. A
  request the child has not answered ``GRACE`` seconds past ``--timeout`` gets 504, and the
  child is restarted, because its own timeout does not stop every query (an ``ORDER BY`` over a
  cartesian product sorts on until it panics; see the README's known issues).
- **Connections.** A connection must send a complete request head within ``HEAD_TIMEOUT``
  seconds, and idle ones close after ``IDLE_TIMEOUT``; past ``MAX_CONNECTIONS`` a request gets
  503 at once instead of waiting.
- **Safety.** Writes (``/update``, and ``/store`` other than GET) exist only with
  ``--writable`` and need ``Authorization: Bearer TOKEN``; a request with a foreign ``Origin`` is
  refused; ``SERVICE`` is refused unless ``--allow-service``; beyond loopback a warning is
  printed and ``--writable`` needs a token the user chose (``--token-env``).
- **The folder.** ``serve`` holds a shared lock on the build folder, so ``sensekg build``
  refuses to replace it while it is served.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import ipaddress
import logging
import logging.handlers
import os
import resource
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from sensekg.loaders.errors import CorruptStore, InputError, InUse, Refused

from .buildio import STORE, changed_store_files, hold_shared, store_folder

GRACE = 5.0
HEAD_TIMEOUT = 10.0
IDLE_TIMEOUT = 5
MAX_CONNECTIONS = 2000
log = logging.getLogger("sensekg.serve")


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).is_file():
        raise InputError("the Oxigraph server is not installed; pip install oxigraph")
    return found


def _limit_child(memory: int | None) -> Callable[[], None]:
    def limit() -> None:  # runs in the child between fork and exec
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        with contextlib.suppress(Exception):  # Linux: the child dies with its parent, even by SIGKILL
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    return limit


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                    inodes.add(fields[9])
    return inodes


def owns_port(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds the listening socket of ``port`` (None where /proc cannot tell)."""
    inodes = _listening_inodes(port)
    if not inodes or not Path(f"/proc/{pid}/fd").is_dir():
        return None
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return True
    return False


def start_oxigraph(store: Path, host: str, port: int, writable: bool, timeout: float,
                   memory_gib: float | None = None, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """Start the Oxigraph server and wait until it answers; make sure it is this child that does."""
    command = [oxigraph_binary(), "serve" if writable else "serve-read-only", "--location", str(store),
               "--bind", f"{host}:{port}", "--timeout-s", str(max(1, round(timeout)))]
    memory = int(memory_gib * (1 << 30)) if memory_gib else None
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                               preexec_fn=_limit_child(memory))
    url = f"http://{host}:{port}/query?query=ASK%7B%7D"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = process.stderr.read().decode("utf-8", "replace").strip().splitlines() if process.stderr else []
            raise InputError(f"the Oxigraph server stopped at start with code {process.returncode}: "
                             f"{said[-1] if said else 'it said nothing'}", path=store)
        try:
            with urllib.request.urlopen(url, timeout=1):
                pass
        except OSError:
            time.sleep(0.1)
            continue
        if process.poll() is None and owns_port(process.pid, port) is not False:
            return process
        process.kill()
        process.wait()
        raise InUse(f"port {port} on {host} is taken by another process")
    process.kill()
    process.wait()
    raise InputError(f"the Oxigraph server did not answer on {host}:{port} within 20 s", path=store)


def private_network() -> str | None:
    """Move this process, before it starts the child, into a network namespace of its own whose
    loopback no other process shares: the child's internal port is then reachable from the
    front alone (a web page or another user's process cannot post to it), and the child cannot
    fetch from any server. The public socket, bound before, stays in the machine's namespace.

    Returns None when done, or why it could not be (then the internal port is loopback only).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    new_net, new_user = 0x40000000, 0x10000000  # CLONE_NEWNET, CLONE_NEWUSER
    try:
        if libc.unshare(new_net) != 0:  # without CAP_SYS_ADMIN: a user namespace of our own first
            uid, gid = os.getuid(), os.getgid()
            if libc.unshare(new_user | new_net) != 0:
                return os.strerror(ctypes.get_errno())
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:  # bring the new loopback up
            request = struct.pack("16sH14s", b"lo", 0, b"")
            flags = struct.unpack("16sH14s", fcntl.ioctl(control, 0x8913, request))[1]  # SIOCGIFFLAGS
            fcntl.ioctl(control, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, b""))  # SIOCSIFFLAGS, IFF_UP
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Supervisor:
    """Keeps one Oxigraph child running on an internal loopback port; restarts it and says why."""

    def __init__(self, store: Path, writable: bool, timeout: float, memory_gib: float | None):
        self.store, self.writable, self.timeout, self.memory_gib = store, writable, timeout, memory_gib
        self.port = free_loopback_port()
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._lock = threading.RLock()
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self._lock:
            self.process = start_oxigraph(self.store, "127.0.0.1", self.port, self.writable, self.timeout,
                                          self.memory_gib, stderr=subprocess.PIPE)
            threading.Thread(target=self._drain, args=(self.process,), daemon=True).start()

    def _drain(self, process: subprocess.Popen) -> None:
        """Read the child's stderr to the end, into the log: a full pipe would block the child."""
        for line in process.stderr:
            log.info("oxigraph[%d]: %s", process.pid, line.decode("utf-8", "replace").rstrip())

    def restart(self, reason: str, only: subprocess.Popen | None = None) -> None:
        """Replace the child (or, given ``only``, replace it only if it is still that one)."""
        with self._lock:
            if self._stopping.is_set() or (only is not None and self.process is not only):
                return
            log.warning("restarting the SPARQL endpoint: %s", reason)
            self.restarts += 1
            self._kill()
            for attempt in range(5):
                try:
                    self.start()
                    return
                except (InputError, InUse) as exc:
                    log.error("restart %d failed: %s", attempt + 1, exc)
                    time.sleep(0.5 * 2 ** attempt)
            log.error("the SPARQL endpoint could not be restarted; requests get 502 until sensekg serve restarts")

    def watch(self) -> None:
        """Restart the child whenever it dies (a panic, the memory limit, a kill from outside)."""
        while not self._stopping.wait(0.5):
            process = self.process
            if process is not None and process.poll() is not None:
                code = process.returncode
                why = f"signal {-code}" if code < 0 else f"exit code {code}"
                self.restart(f"the Oxigraph server ended with {why}", only=process)

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            self._kill()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """The public socket, bound here so that a taken port is an error before anything is announced."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(f"--host {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise InUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.set_inheritable(False)
    return sock


def base_url(host: str, port: int) -> str:
    return f"http://[{host.strip('[]')}]:{port}" if ":" in host.strip("[]") else f"http://{host}:{port}"


class LogFile(logging.handlers.RotatingFileHandler):
    """The server's log file. When it cannot be written (a full disk), one warning on stderr,
    then the endpoint goes on without it: the logging module's default is a traceback on
    stderr for every line lost, which came before the endpoint's own first line."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.failed:
            self.failed = True
            problem = sys.exc_info()[1]
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(f"sensekg: warning: cannot write the log {self.baseFilename} ({problem}); "
                                 "the endpoint goes on without it\n")
                sys.stderr.flush()


def setup_log(path: Path) -> None:
    handler = LogFile(path, maxBytes=5 << 20, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def serve(graph_dir: Path, host: str, port: int, writable: bool, timeout: float, say: Callable[[str], None],
          memory_gib: float | None = 4.0, token: str | None = None, allow_service: bool = False,
          allowed_origins: tuple[str, ...] = (), log_file: Path | None = None) -> None:
    import uvicorn

    from .front import GuardedH11Protocol, create_front

    folder = store_folder(graph_dir)
    store = folder / STORE
    if not store.is_dir():
        raise InputError("this build has no store; run `sensekg build --force`", path=store)
    loopback = is_loopback(host)
    if writable and not loopback and not token:
        raise Refused(f"--host {host} reaches beyond this machine: --writable there needs a token you "
                      "choose, given with --token-env VAR")
    if writable and not token:
        token = secrets.token_urlsafe(24)
    damaged = changed_store_files(folder)
    if damaged:
        raise CorruptStore(f"the store is corrupt: {len(damaged)} file(s) differ from the build; "
                           "rebuild it with `sensekg build --force`", path=store)
    sock = bind_socket(host, port)
    lock = hold_shared(folder)
    isolation = private_network()
    log_file = log_file or Path(os.environ.get("TMPDIR", "/tmp")) / f"sensekg-serve-{port}.log"
    setup_log(log_file)
    supervisor = Supervisor(store, writable, timeout, memory_gib)
    try:
        supervisor.start()
        threading.Thread(target=supervisor.watch, daemon=True).start()
        url = base_url(host, port)
        app = create_front(supervisor, url, timeout, token if writable else None, allow_service, allowed_origins)
        say(f"SPARQL endpoint ({'read-write' if writable else 'read-only'}): {url}/query "
            f"(Graph Store: {url}/store{', updates: ' + url + '/update' if writable else ''})")
        say(f"Saved queries: {url}/api/queries (OpenAPI: {url}/openapi.json)")
        if writable:
            say(f"Writes need the header: Authorization: Bearer {token}")
        if not loopback:
            say(f"Warning: listening on {host}, reachable from other machines; there is no TLS.")
        if isolation:
            say(f"Warning: the SPARQL child could not get a private network ({isolation}); its internal "
                f"port {supervisor.port} is reachable from this machine, without the front's guards.")
        config = uvicorn.Config(app, log_level="warning", http=GuardedH11Protocol, timeout_keep_alive=IDLE_TIMEOUT,
                                limit_concurrency=MAX_CONNECTIONS, lifespan="off")
        server = uvicorn.Server(config)

        def stop(*_: object) -> None:  # SIGTERM stops as Ctrl-C does: the child goes too
            server.should_exit = True

        # the handler is in place before the line that tells a caller the server is up: a SIGTERM
        # sent on reading it stops the server cleanly instead of killing it before the handler
        previous = signal.signal(signal.SIGTERM, stop)
        say(f"Log: {log_file}. Press Ctrl-C to stop.")
        try:
            # uvicorn shuts down gracefully on Ctrl-C, then re-raises the interrupt it caught
            with contextlib.suppress(KeyboardInterrupt):
                server.run(sockets=[sock])
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        supervisor.stop()
        sock.close()
        os.close(lock)
        say("Stopped.")
