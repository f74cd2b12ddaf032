"""Shared helpers for the interop tests: they drive the real `gateway` binary from outside Swift."""
import os
import socket
import subprocess
import time
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


def run_gateway(args, cwd, env=None, timeout=60):
    """Runs a short gateway command and returns the completed process."""
    return subprocess.run([gateway_binary(), *args], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def binary():
    return gateway_binary()
