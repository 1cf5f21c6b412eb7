"""Managed local Neo4j: a real Neo4j Community 5.26 server owned by the project.

Layout under ``<data_dir>/neo4j`` (this directory is NEO4J_HOME for the server):

    lib/            jars copied from Maven Central by ``install`` (plus ``.stamp``)
    conf/neo4j.conf generated on every start; edits are overwritten
    data/ logs/ run/ the server's own directories
    logs/console.log the JVM's stdout/stderr
    password        generated password of the ``neo4j`` user (mode 0600)
    neo4j.pid       pid of the JVM
    state.json      pid and ports of the running server, so status/stop find it
    restore-check/  scratch store `restore` loads an archive into first (see db/backup.py), then removes

The data dir and this directory are mode 0700, and Neo4j runs with umask 077: its store and
transaction logs hold everything in the graph (sealed secrets included, but also the data
itself), so no other local user may read them.

The JVM runs Neo4j's own entry point (``org.neo4j.server.CommunityEntryPoint``),
the same class the ``neo4j`` script starts, so Bolt, the HTTP API and Neo4j
Browser all behave as in the packaged distribution.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import neo4j
from neo4j.exceptions import AuthError

from maestro_graph.data_dir import DataDirError, ensure_private
from maestro_graph.db import class_archive

if TYPE_CHECKING:
    import rich.console

USER = "neo4j"
# Writing the class archive (class_archive.py) makes the first stop of a fresh install ~10 s longer.
_RECORDING_STOP_TIMEOUT_S = 120.0
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
# Works in a source checkout and in an editable install, where __file__ stays in the tree.
POM_PATH = Path(__file__).resolve().parents[2] / "neo4j" / "pom.xml"

# A subset of the JVM flags the packaged neo4j.conf passes: without the --add-opens, Neo4j falls back
# to slower page-cache and transaction-log code paths and logs warnings about it.
_JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]
_SIZE = re.compile(r"^\d+[kKmMgG]?$")

_PASSWORD_FILE = "password"

# Browser 5 and the 5.26 server still spell this setting "whitelist".
BROWSER_GUIDE_HOSTS_SETTING = "browser.remote_content_hostname_whitelist"
BROWSER_GUIDE_HOSTS = ("guides.neo4j.com", "localhost", "127.0.0.1", "[::1]")

# What Neo4j and its admin tool create (store, transaction logs, auth.ini, logs) is for our user only.
_PRIVATE_UMASK = 0o077

# Children started by this process, so their exit can be reaped (a zombie still "exists").
_children: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Neo4jConnection:
    uri: str  # e.g. "bolt://127.0.0.1:7687"
    user: str
    password: str
    browser_url: str | None  # e.g. "http://127.0.0.1:7474/browser/" when HTTP is up, else None


class Neo4jServerError(RuntimeError):
    """The managed Neo4j could not be installed, started or reached."""


# --------------------------------------------------------------------------- paths


def _home(data_dir: Path) -> Path:
    return Path(data_dir).resolve() / "neo4j"


def password_file(data_dir: Path) -> Path:
    """Where the generated password of the ``neo4j`` user is kept, for people who open Neo4j
    Browser or cypher-shell (the data dir as given, so messages name the path the user chose)."""
    return Path(data_dir) / "neo4j" / _PASSWORD_FILE


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    # Serialises install/start/stop for one data dir across processes (e.g. two CLIs).
    try:
        ensure_private(home.parent)
        ensure_private(home)
    except DataDirError as error:
        raise Neo4jServerError(str(error)) from None
    with open(home / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- install


def install(data_dir: Path, console: rich.console.Console | None = None) -> Path:
    """Resolve Neo4j's jars from Maven Central into ``<data_dir>/neo4j/lib`` (idempotent)."""
    home = _home(data_dir)
    with _locked(home):
        return _install(home, console)


def _install(home: Path, console: rich.console.Console | None) -> Path:
    lib = home / "lib"
    if not POM_PATH.is_file():
        raise Neo4jServerError(f"Neo4j class path definition not found at {POM_PATH}")
    # The stamp ties lib/ to the exact pom it was built from; a changed pom re-installs.
    digest = hashlib.sha256(POM_PATH.read_bytes()).hexdigest()
    stamp = lib / ".stamp"
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return lib
    if _running_pid(home) is not None:
        raise Neo4jServerError("Neo4j is running with an outdated class path; stop it before installing")
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jServerError("Maven ('mvn') is required to install Neo4j; it was not found on PATH")

    # Copy into a scratch dir and swap it in, so an interrupted install never leaves a
    # half-filled lib/ that carries a valid stamp.
    scratch = home / "lib.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    cmd = [
        mvn,
        "-q",
        "-B",
        "-Dstyle.color=never",
        "-f",
        str(POM_PATH),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={scratch}",
    ]
    if console is not None:
        console.print("[bold]Installing Neo4j Community[/] from Maven Central (first run downloads ~140 MB)...")
    status_ctx = console.status("Resolving Neo4j jars with Maven...") if console else contextlib.nullcontext()
    with status_ctx:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=home)
    if proc.returncode != 0 or not any(scratch.glob("neo4j-*.jar")):
        shutil.rmtree(scratch, ignore_errors=True)
        output = (proc.stdout + proc.stderr).strip()[-4000:]
        raise Neo4jServerError(f"Maven could not resolve Neo4j (exit {proc.returncode}):\n{output}")
    (scratch / ".stamp").write_text(digest + "\n")
    shutil.rmtree(lib, ignore_errors=True)
    scratch.rename(lib)
    if console is not None:
        console.print(f"Neo4j installed in {lib}")
    return lib


# --------------------------------------------------------------------------- process helpers


def _read_state(home: Path) -> dict | None:
    try:
        return json.loads((home / "state.json").read_text())
    except (OSError, ValueError):
        return None


def _write_state(home: Path, state: dict) -> None:
    tmp = home / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(home / "state.json")
    (home / "neo4j.pid").write_text(f"{state['pid']}\n")


def _clear_state(home: Path) -> None:
    for name in ("state.json", "neo4j.pid"):
        (home / name).unlink(missing_ok=True)


def _is_our_server(pid: int, home: Path) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _children[pid]
            return False
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process reusing the pid
    # Guard against pid reuse: the live process must be Neo4j for this home.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no procfs (macOS): trust the pid
    except OSError:
        return False
    return ENTRY_POINT.encode() in cmdline and f"--home-dir={home}".encode() in cmdline


def _running_pid(home: Path) -> int | None:
    state = _read_state(home)
    if not state:
        return None
    pid = int(state.get("pid", 0))
    return pid if pid > 0 and _is_our_server(pid, home) else None


def _connection(state: dict, password: str, browser: bool) -> Neo4jConnection:
    http_url = f"http://127.0.0.1:{state['http_port']}/browser/"
    return Neo4jConnection(
        uri=f"bolt://127.0.0.1:{state['bolt_port']}",
        user=USER,
        password=password,
        browser_url=http_url if browser else None,
    )


def _bolt_ready(uri: str, password: str) -> bool:
    try:
        with neo4j.GraphDatabase.driver(
            uri, auth=(USER, password), connection_timeout=3.0, max_connection_pool_size=1
        ) as driver:
            driver.verify_connectivity()
        return True
    except AuthError:
        raise
    except Exception:  # not listening yet, still starting databases, ...
        return False


def _http_ok(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as resp:
            return resp.status == 200
    except Exception:
        return False


def _browser_ready(port: int) -> bool:
    return _http_ok(port, "/browser/")


def _port_free(port: int) -> bool:
    # SO_REUSEADDR mirrors what Neo4j itself does, so TIME_WAIT leftovers do not count as busy.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _log_tail(home: Path, lines: int = 40) -> str:
    try:
        text = (home / "logs" / "console.log").read_text(errors="replace")
    except OSError:
        return "(no console log)"
    return "\n".join(text.splitlines()[-lines:])


def java_binary() -> str:
    """The Java that runs the server and its admin tool: $JAVA_HOME's, else the one on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise Neo4jServerError("Java 17 or 21 is required to run Neo4j; 'java' was not found")
    return java


def _size_env(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    if not _SIZE.match(value):
        raise Neo4jServerError(f"{name}={value!r} is not a size like 2g or 512m")
    return value


def _bytes(size: str) -> int:
    return int(size.rstrip("kKmMgG")) * 1024 ** " kmg".index((size[-1] if size[-1].isalpha() else " ").lower())


# --------------------------------------------------------------------------- configuration


def _write_conf(home: Path, bolt_port: int, http_port: int, overrides: Mapping[str, str]) -> None:
    conf = home / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    settings = {
        # Local only: nothing outside this machine can reach the database.
        "server.default_listen_address": "127.0.0.1",
        # Browser reads the advertised Bolt address from the HTTP discovery document.
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.listen_address": f":{bolt_port}",
        "server.bolt.advertised_address": f":{bolt_port}",
        "server.http.enabled": "true",
        "server.http.listen_address": f":{http_port}",
        "server.http.advertised_address": f":{http_port}",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true",
        "dbms.usage_report.enabled": "false",
        # Hosts Browser may play guides from (`:guide <url>`): Neo4j's default, plus the loopback
        # addresses `serve` listens on, for the project's guide at /ui/browser-guide.html. This
        # server is reached from this machine only, and so is the dev profile's API.
        BROWSER_GUIDE_HOSTS_SETTING: ",".join(BROWSER_GUIDE_HOSTS),
        "server.memory.pagecache.size": _size_env("NEO4J_PAGECACHE", "512m"),
        # Netty otherwise idles 2 x 5 s on shutdown, which makes every stop take >10 s.
        "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
        # With keep-alive for all requests (Neo4j's default), HELLO hints a 120-s receive timeout,
        # and the Python driver then wraps every socket read in a task with a timer: a quarter of
        # its CPU per read query, a tenth per write (bench/bolt_keep_alive.py). The server and the
        # API share this machine's loopback, and every request has its own deadline, so the
        # NOOPs have nothing to detect.
        "server.bolt.connection_keep_alive_for_requests": "OFF",
    }
    body = "".join(f"{k}={v}\n" for k, v in {**settings, **overrides}.items())
    (conf / "neo4j.conf").write_text(
        "# Generated by maestro_graph.db.managed_neo4j on every start; edits are overwritten.\n" + body
    )


def _ensure_password(home: Path, java: str, lib: Path) -> str:
    """Return the stored password, setting it as the initial one before the first start."""
    pw_file = home / _PASSWORD_FILE
    system_db = home / "data" / "databases" / "system"
    if pw_file.is_file():
        password = pw_file.read_text().strip()
        if system_db.exists():
            return password  # already applied on an earlier first start
    elif system_db.exists():
        raise Neo4jServerError(
            f"{pw_file} is missing but the database in {home / 'data'} already exists; "
            "its password cannot be recovered. Restore the file or delete the data directory."
        )
    else:
        # Alphanumeric only: it is passed as an argument and must never look like an option.
        alphabet = string.ascii_letters + string.digits
        password = "".join(secrets.choice(alphabet) for _ in range(32))
        fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
    os.chmod(pw_file, 0o600)
    # `neo4j-admin dbms set-initial-password` writes data/dbms/auth.ini, which the server
    # imports into the system database when that database is created on first start.
    proc = _run_admin(home, java, lib, ["dbms", "set-initial-password", password])
    if proc.returncode != 0:
        raise Neo4jServerError(f"Setting the initial Neo4j password failed:\n{proc.stdout}{proc.stderr}")
    return password


def _run_admin(
    home: Path, java: str, lib: Path, args: list[str], stdin: int | None = None, stdout: int | None = None
) -> subprocess.CompletedProcess:
    """`neo4j-admin ARGS` for this home: Neo4j's own admin tool, from the server's class path.
    Output goes to `stdout` when given (a file descriptor), else it is captured."""
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(home / "conf"))
    return subprocess.run(
        [java, *class_archive.jvm_flags(lib, java), "-cp", f"{lib}/*", "org.neo4j.cli.AdminTool", *args],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=stdout is None,
        env=env,
        cwd=home,
        umask=_PRIVATE_UMASK,
    )


# --------------------------------------------------------------------------- public API


def status(data_dir: Path) -> Neo4jConnection | None:
    """Connection info if the managed server is running and answering Bolt, else None."""
    home = _home(data_dir)
    state = _read_state(home)
    if not state or _running_pid(home) is None:
        return None
    try:
        password = (home / _PASSWORD_FILE).read_text().strip()
        if not _bolt_ready(f"bolt://127.0.0.1:{state['bolt_port']}", password):
            return None
    except (OSError, AuthError):
        return None
    return _connection(state, password, _browser_ready(state["http_port"]))


def start(
    data_dir: Path,
    bolt_port: int = 7687,
    http_port: int = 7474,
    timeout_s: float = 180.0,
    settings: Mapping[str, str] | None = None,
) -> Neo4jConnection:
    """Start the managed server (installing it if needed) and wait until Bolt answers.

    Idempotent: if a server already runs for ``data_dir`` its connection is returned,
    on the ports it was started with. ``settings`` replace or add neo4j.conf lines (a
    benchmark's variant of the configuration).
    """
    home = _home(data_dir)
    with _locked(home):
        pid = _running_pid(home)
        if pid is not None:
            return _wait_ready(home, pid, _read_state(home) or {}, timeout_s, launched=False)
        _clear_state(home)
        return _start(home, bolt_port, http_port, timeout_s, settings)


def _start(
    home: Path, bolt_port: int, http_port: int, timeout_s: float, settings: Mapping[str, str] | None = None
) -> Neo4jConnection:
    """The body of `start`, with the home's lock held and no server running."""
    if bolt_port == http_port:
        raise Neo4jServerError("Bolt and HTTP ports must differ")
    for name, port in (("Bolt", bolt_port), ("HTTP", http_port)):
        if not _port_free(port):
            raise Neo4jServerError(
                f"{name} port {port} on 127.0.0.1 is already in use by another process; stop it or choose another port"
            )

    lib = _install(home, None)
    java = java_binary()
    _write_conf(home, bolt_port, http_port, settings or {})
    _ensure_password(home, java, lib)
    if class_archive.should_record(lib, java):
        # A fresh install: one start and stop records the classes every later start maps.
        pid, state = _launch(home, lib, java, bolt_port, http_port, record_classes=True)
        try:
            _wait_ready(home, pid, state, timeout_s, launched=True)
        except Neo4jServerError:
            # Not started while recording (stopped again by _wait_ready): no archive on this
            # install, and the plain start below says what is wrong if it was not the recording.
            class_archive.finish_recording(lib, java, exited_cleanly=False)
        else:
            exited_cleanly = _stop(home, pid, _RECORDING_STOP_TIMEOUT_S)
            _clear_state(home)
            class_archive.finish_recording(lib, java, exited_cleanly)
    pid, state = _launch(home, lib, java, bolt_port, http_port)
    return _wait_ready(home, pid, state, timeout_s, launched=True)


def _launch(
    home: Path, lib: Path, java: str, bolt_port: int, http_port: int, record_classes: bool = False
) -> tuple[int, dict]:
    """Start the JVM in a session of its own; answers its pid and the state written for it."""
    heap = _size_env("NEO4J_HEAP", "2g")
    # An explicit initial heap silences Neo4j's startup warning; kept small so an idle
    # server stays light, the heap grows on demand up to NEO4J_HEAP.
    initial = heap if _bytes(heap) < _bytes("512m") else "512m"
    cmd = [
        java,
        f"-Xms{initial}",
        f"-Xmx{heap}",
        *_JVM_FLAGS,
        *class_archive.jvm_flags(lib, java, record=record_classes),
        "-cp",
        f"{lib}/*",
        ENTRY_POINT,
        f"--home-dir={home}",
        f"--config-dir={home / 'conf'}",
        "--console-mode",
    ]
    logs = home / "logs"
    logs.mkdir(mode=0o700, parents=True, exist_ok=True)
    console_log = os.open(logs / "console.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(console_log, "ab") as log:
        log.write(f"\n==== starting Neo4j at {time.strftime('%Y-%m-%d %H:%M:%S')} ====\n".encode())
        log.flush()
        # New session: the server outlives this process and ignores its terminal's Ctrl-C.
        proc = subprocess.Popen(
            cmd,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            umask=_PRIVATE_UMASK,
        )
    _children[proc.pid] = proc
    state = {"pid": proc.pid, "bolt_port": bolt_port, "http_port": http_port, "started_at": time.time()}
    _write_state(home, state)
    return proc.pid, state


def _wait_ready(home: Path, pid: int, state: dict, timeout_s: float, launched: bool) -> Neo4jConnection:
    password = (home / _PASSWORD_FILE).read_text().strip()
    uri = f"bolt://127.0.0.1:{state['bolt_port']}"
    deadline = time.monotonic() + timeout_s
    problem = f"Neo4j did not answer on {uri} within {timeout_s:.0f} s"
    while time.monotonic() < deadline:
        if not _is_our_server(pid, home):
            problem = "Neo4j exited during startup"
            break
        try:
            # Neo4j opens Bolt about a second before HTTP; the server is ready once both answer
            # (the discovery document at / is served even when Browser is absent).
            if _http_ok(state["http_port"], "/") and _bolt_ready(uri, password):
                return _connection(state, password, _browser_ready(state["http_port"]))
        except AuthError:
            problem = f"Neo4j refused the password stored in {home / 'password'}"
            break
        time.sleep(0.5)
    if launched:
        # Do not leave a half-started server behind that nobody can use.
        _stop(home, pid, 30.0)
        _clear_state(home)
    raise Neo4jServerError(f"{problem}. Last lines of {home / 'logs' / 'console.log'}:\n{_log_tail(home)}")


def stop(data_dir: Path, timeout_s: float = 60.0) -> bool:
    """Stop the managed server: SIGTERM (Neo4j checkpoints and shuts down), SIGKILL after timeout.

    Returns True if a server was running.
    """
    home = _home(data_dir)
    with _locked(home):
        pid = _running_pid(home)
        if pid is not None:
            _stop(home, pid, timeout_s)
        _clear_state(home)
        return pid is not None


def _stop(home: Path, pid: int, timeout_s: float) -> bool:
    """SIGTERM, then SIGKILL after `timeout_s`; answers whether the server exited on SIGTERM."""
    for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not _is_our_server(pid, home):
                _children.pop(pid, None)
                return sig == signal.SIGTERM
            time.sleep(0.2)
    raise Neo4jServerError(f"Neo4j (pid {pid}) did not exit after SIGKILL")


# --------------------------------------------------------------------------- admin tool


@dataclass(frozen=True)
class AdminTool:
    """`neo4j-admin` (Neo4j's `org.neo4j.cli.AdminTool`) on the managed server's class path."""

    home: Path
    java: str
    lib: Path

    def run(self, args: list[str], stdin: int | None = None, stdout: int | None = None) -> subprocess.CompletedProcess:
        return _run_admin(self.home, self.java, self.lib, args, stdin, stdout)

    def for_home(self, home: Path) -> AdminTool:
        """The same tool working on another NEO4J_HOME (a scratch store, say)."""
        (home / "conf").mkdir(mode=0o700, parents=True, exist_ok=True)
        (home / "conf" / "neo4j.conf").touch()
        return AdminTool(home, self.java, self.lib)


def store_exists(data_dir: Path, database: str) -> bool:
    """Whether the managed server has ever created `database` under this data dir."""
    return (_home(data_dir) / "data" / "databases" / database).is_dir()


def admin_tool(data_dir: Path) -> AdminTool:
    """The admin tool for this data dir's Neo4j (installing the jars if needed); for commands that
    need no exclusive use of the store."""
    home = _home(data_dir)
    with _locked(home):
        return AdminTool(home, java_binary(), _install(home, None))


@contextlib.contextmanager
def offline(
    data_dir: Path, timeout_s: float = 60.0, before_stop: Callable[[Neo4jConnection | None], None] | None = None
) -> Iterator[AdminTool]:
    """The admin tool with the store to itself: a running server is stopped for the while and
    started again on its ports afterwards, whatever happened meanwhile; a stopped one stays so.

    `before_stop` is called first, with the lock held and the running server's connection (None
    when none runs): a last look at the graph that no other command can stop or start the server
    across. When it raises, nothing was stopped.

    Neo4j Community cannot take one database offline (STOP DATABASE is Enterprise), and dump and
    load refuse a database the server has mounted, so the whole server stops for that moment.
    """
    home = _home(data_dir)
    with _locked(home):
        lib = _install(home, None)
        tool = AdminTool(home, java_binary(), lib)
        state = _read_state(home)
        pid = _running_pid(home)
        if before_stop is not None:
            password = (home / _PASSWORD_FILE).read_text().strip() if pid is not None else ""
            before_stop(_connection(state, password, browser=False) if pid is not None and state else None)
        if pid is not None:
            _stop(home, pid, timeout_s)
        _clear_state(home)
        try:
            yield tool
        finally:
            if pid is not None and state is not None:
                _start(home, int(state["bolt_port"]), int(state["http_port"]), 180.0)
