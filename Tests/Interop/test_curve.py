"""The bus encrypted and authenticated end to end: `gateway run --curve DIR` against pyzmq clients.

The keys come from `gateway keys generate`; the clients are libzmq through pyzmq, not the gateway's own
code, so this checks CurveZMQ as any outside subscriber speaks it.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import zmq

from conftest import free_port, gateway_binary, run_gateway, wait_for
from test_pipeline_interop import CUSTOMERS, KEY_HEX, PRODUCTS


def key(folder: Path, name: str) -> bytes:
    text = (folder / name).read_text().strip()
    assert len(text) == 40, f"{name} is one Z85 key of 40 characters"
    return text.encode()


def subscriber(endpoint: str, server_public: bytes | None, public: bytes | None = None, secret: bytes | None = None):
    socket = zmq.Context.instance().socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    if server_public is not None:
        socket.curve_serverkey = server_public
        socket.curve_publickey = public
        socket.curve_secretkey = secret
    socket.setsockopt(zmq.SUBSCRIBE, b"")
    socket.connect(endpoint)
    return socket


def received(socket, seconds: float) -> list[dict]:
    """The events that arrive within `seconds`: a store that never pauses must not keep this listening for ever."""
    events = []
    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0 and poller.poll(left * 1000):
        frames = socket.recv_multipart()
        events.append(json.loads(frames[-1]))
    return events


def test_only_a_subscriber_with_an_allowed_key_receives_the_bus(tmp_path):
    keys = tmp_path / "keys"
    done = run_gateway(["keys", "generate", "--out", str(keys)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("server.key", "server.pub", "client.key", "client.pub"):
        key(keys, name)
    assert oct((keys / "server.key").stat().st_mode & 0o777) == "0o600", "secret keys are private to their owner"

    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "products.csv").write_text(PRODUCTS)
    publish = f"tcp://127.0.0.1:{free_port()}"
    replay = f"tcp://127.0.0.1:{free_port()}"
    (tmp_path / "gateway.yaml").write_text(f"""
gateway: {{ id: gw-curve, store: store-curve, dataDir: {tmp_path}/data }}
store: {{ companyPrefixes: ["0614141"] }}
sources:
  - {{ name: door, driver: simulator, zone: entrance }}
  - {{ name: aisles, driver: simulator, zone: floor }}
  - {{ name: till-reader, driver: simulator, zone: checkout }}
  - {{ name: till, driver: simulator, kind: transactions }}
matching: {{ absence: 400ms }}
bus: {{ publish: "{publish}", replay: "{replay}" }}
dashboard: {{ enabled: false }}
crm: {{ db: {tmp_path}/data/crm.sqlite, seed: {{ customers: customers.csv, products: products.csv }} }}
simulator: {{ mode: continuous, seed: 5, speed: 10, shoppersPerMinute: 600, readInterval: 100ms, shelfItems: 0, foreignTagRate: 0 }}
""")
    server_public = key(keys, "server.pub")
    client_public, client_secret = key(keys, "client.pub"), key(keys, "client.key")
    stranger_public, stranger_secret = zmq.curve_keypair()

    log = open(tmp_path / "gateway.log", "w")
    gateway = subprocess.Popen([gateway_binary(), "run", "--config", str(tmp_path / "gateway.yaml"), "--curve", str(keys),
                                "--stats-interval", "0"],
                               cwd=tmp_path, env={**os.environ, "GATEWAY_TOKEN_KEY": KEY_HEX}, stdout=log, stderr=subprocess.STDOUT)
    allowed = subscriber(publish, server_public, client_public, client_secret)
    stranger = subscriber(publish, server_public, stranger_public, stranger_secret)
    plain = subscriber(publish, None)
    try:
        events = wait_for(lambda: received(allowed, 2), timeout=60, what="the allowed client to receive events")
        more = received(allowed, 3)
        seqs = [event["seq"] for event in events + more]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the allowed client gets every event, in order"
        assert received(stranger, 1) == [], "a key that is not allowed receives nothing"
        assert received(plain, 1) == [], "a client without CURVE receives nothing"

        # Replay too: the journal is as secret as the bus.
        def ask(public, secret):
            dealer = zmq.Context.instance().socket(zmq.DEALER)
            dealer.setsockopt(zmq.LINGER, 0)
            if public is not None:
                dealer.curve_serverkey, dealer.curve_publickey, dealer.curve_secretkey = server_public, public, secret
            dealer.connect(replay)
            dealer.send(json.dumps({"op": "info"}).encode())
            answer = dealer.recv_multipart() if dealer.poll(3000) else None
            dealer.close()
            return answer

        answer = ask(client_public, client_secret)
        assert answer is not None and answer[0] == b"info" and json.loads(answer[1])["gateway"] == "gw-curve"
        assert ask(stranger_public, stranger_secret) is None
        assert ask(None, None) is None
    finally:
        for socket in (allowed, stranger, plain):
            socket.close()
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=30) == 0
        log.close()


def test_plain_tcp_beyond_loopback_is_refused_unless_told(tmp_path):
    (tmp_path / "gateway.yaml").write_text(f"""
gateway: {{ id: gw-open, dataDir: {tmp_path}/data }}
sources:
  - {{ name: door, driver: simulator, zone: entrance }}
bus: {{ publish: "tcp://0.0.0.0:{free_port()}" }}
dashboard: {{ enabled: false }}
""")
    done = run_gateway(["run", "--config", str(tmp_path / "gateway.yaml")], cwd=tmp_path, timeout=30)
    assert done.returncode != 0
    assert "bus.publish" in done.stderr and "allowNonLoopback" in done.stderr, done.stderr
