"""Shared helpers for the interop tests: they drive the real `gateway` binary from outside Swift."""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def gateway_binary() -> str:
    path = os.environ.get("GATEWAY_BIN")
    if path:
        return path
    for candidate in (ROOT / ".build/release/gateway", ROOT / ".build/debug/gateway"):
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("gateway binary not built: run `swift build` or set GATEWAY_BIN")


def free_port() -> int:
    """A port the kernel says is free right now on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """Polls `condition` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def sqlite_rows(path, sql: str, *args) -> list:
    """The rows of `sql` in the SQLite file at `path`, read-only; [] while the file or its table does not exist yet."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return []


def post(url: str, body: bytes, headers: dict, timeout: float = 60):
    """POSTs `body` to one of the gateway's listeners; returns the status and the JSON answer (of an error too)."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def run_gateway(args, cwd, env=None, timeout=60):
    """Runs a short gateway command and returns the completed process."""
    return subprocess.run([gateway_binary(), *args], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def binary():
    return gateway_binary()


class PostgresServer:
    """A throw-away PostgreSQL server on a free loopback port; each `database()` is a new, empty one."""

    USER = "gateway"

    def __init__(self, folder: Path):
        self.folder = folder
        self.bin = self._binaries()
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
        if self._as_postgres:
            import pwd
            account = pwd.getpwnam("postgres")  # KeyError: install the postgresql package (make deps)
            os.chown(folder, account.pw_uid, account.pw_gid)
        self._run(["initdb", "-D", f"{folder}/data", "-U", self.USER, "--auth=trust", "-E", "UTF8", "--no-sync"])
        options = (f"-p {self.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c max_connections=100")
        self._run(["pg_ctl", "-D", f"{folder}/data", "-l", f"{folder}/server.log", "-o", options, "-w", "-t", "60", "start"])
        self._count = 0

    @staticmethod
    def _binaries() -> str:
        debian = Path("/usr/lib/postgresql")
        versions = sorted((int(p.name) for p in debian.glob("*") if p.name.isdigit()), reverse=True) if debian.exists() else []
        for version in versions:
            if (debian / str(version) / "bin/initdb").exists():
                return str(debian / str(version) / "bin")
        raise RuntimeError("no PostgreSQL server binaries (initdb): install the postgresql package (make deps)")

    def _run(self, words):
        command = [f"{self.bin}/{words[0]}", *words[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def psql(self, database: str, sql: str) -> list[list[str]]:
        """Rows of `sql`, each a list of column texts (psql's unaligned output)."""
        out = subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.USER, "-d", database,
                              "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True, timeout=60).stdout
        return [line.split("\t") for line in out.splitlines()]

    def database(self) -> str:
        """Creates an empty database and returns its `postgres://` URL."""
        self._count += 1
        name = f"crm_{os.getpid()}_{self._count}"
        self.psql("postgres", f"CREATE DATABASE {name}")
        return f"postgres://{self.USER}@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def stop(self):
        self._run(["pg_ctl", "-D", f"{self.folder}/data", "-m", "fast", "-w", "stop"])


@pytest.fixture(scope="session")
def postgres():
    # Directly in the temporary folder: pytest's own folders are private to root, and the server may run as `postgres`.
    folder = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
    server = PostgresServer(folder)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
