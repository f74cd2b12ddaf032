"""Exactly-once delivery into the CRM store across crashes, with real processes and real servers.

Each test runs busy simulated stores (`gateway run`, no embedded store) and a separate `gateway store`,
kills one of them with SIGKILL mid-stream, and then compares the store with the gateway's journal,
read independently over the replay protocol with pyzmq: every presence event and every sale the
journal holds up to the store's cursor is in the store exactly once, and nothing else is.
"""
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import zmq

from conftest import free_port, gateway_binary, sqlite_rows, wait_for
from test_pipeline_interop import CUSTOMERS, KEY_HEX, PRODUCTS

PRESENCE = ("presence.enter", "presence.exit")


class Process:
    """A gateway process the drills start, kill with SIGKILL, and stop gracefully; its output goes to NAME.log."""

    name = "process"
    folder: Path
    process = None
    log = None

    def launch(self, args, env=None):
        self.log = open(self.folder / f"{self.name}.log", "a")
        self.process = subprocess.Popen(args, cwd=self.folder, env={**os.environ, **(env or {})}, stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            assert self.process.wait(timeout=60) == 0, (self.folder / f"{self.name}.log").read_text()[-3000:]
            self.log.close()


class Gateway(Process):
    """One simulated store: `gateway run` with its bus, replay endpoint and journal, no embedded store."""

    def __init__(self, folder: Path, gateway_id: str, seed: int, high_water_mark: int = 100_000):
        self.folder = folder
        self.id = gateway_id
        self.publish = f"tcp://127.0.0.1:{free_port()}"
        self.replay = f"tcp://127.0.0.1:{free_port()}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "customers.csv").write_text(CUSTOMERS)
        (folder / "products.csv").write_text(PRODUCTS)
        (folder / "gateway.yaml").write_text(f"""
gateway: {{ id: {gateway_id}, store: store-{gateway_id}, dataDir: {folder}/data }}
store: {{ companyPrefixes: ["0614141"] }}
sources:
  - {{ name: door, driver: simulator, zone: entrance }}
  - {{ name: aisles, driver: simulator, zone: floor }}
  - {{ name: till-reader, driver: simulator, zone: checkout }}
  - {{ name: till, driver: simulator, kind: transactions }}
matching: {{ absence: 400ms }}
bus: {{ publish: "{self.publish}", replay: "{self.replay}", sendHighWaterMark: {high_water_mark} }}
dashboard: {{ enabled: false }}
crm: {{ embedded: false, db: {folder}/data/master.sqlite, seed: {{ customers: customers.csv, products: products.csv }} }}
simulator: {{ mode: continuous, seed: {seed}, speed: 20, shoppersPerMinute: 1200, readInterval: 50ms, shelfItems: 0,
             foreignTagRate: 0, anonymousRate: 0.5 }}
""")

    name = "gateway"

    def start(self):
        self.launch([gateway_binary(), "run", "--config", str(self.folder / "gateway.yaml"), "--stats-interval", "1"],
                    env={"GATEWAY_TOKEN_KEY": KEY_HEX})
        wait_for(lambda: self.info().get("lastSeq", 0) > 0, timeout=60, what=f"{self.id} to journal its first events")

    def _ask(self, request: dict):
        """Sends one replay-protocol request and yields its answers until `end`, `info` or `error`."""
        socket = zmq.Context.instance().socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(self.replay)
        try:
            socket.send(json.dumps(request).encode())
            while True:
                if not socket.poll(15_000):
                    raise AssertionError(f"{self.id}: no answer from replay to {request}")
                frames = socket.recv_multipart()
                yield frames[0].decode(), json.loads(frames[1]), frames[2:]
                if frames[0] != b"batch":
                    return
        finally:
            socket.close()

    def info(self) -> dict:
        try:
            return next(self._ask({"op": "info"}))[1]
        except AssertionError:
            return {}

    def journal(self, to: int) -> list[dict]:
        """Every event the journal holds from seq 1 to `to`, as the replay protocol sends them."""
        events = []
        for kind, header, frames in self._ask({"op": "replay", "gateway": self.id, "from": 1, "to": to}):
            if kind == "batch":
                events += [json.loads(frame) for frame in frames]
            elif kind != "end":
                raise AssertionError(f"replay answered {kind}: {header}")
        return events

    def refused(self) -> int:
        """The bus's refusal count from the last status line (events a full subscriber could not take)."""
        counts = [int(line.rsplit("bus refused ", 1)[1].split()[0]) for line in
                  (self.folder / "gateway.log").read_text().splitlines() if "bus refused " in line]
        return counts[-1] if counts else 0


class SQLiteStore:
    def __init__(self, path: Path):
        self.path = path
        self.url = str(path)

    def _rows(self, sql, *args):
        return sqlite_rows(self.path, sql, *args)

    def cursor(self, gateway: str) -> int:
        rows = self._rows("SELECT last_seq FROM bus_cursor WHERE gateway = ?", gateway)
        return rows[0][0] if rows else 0

    def seqs(self, table: str, gateway: str, upto: int) -> list[int]:
        return [row[0] for row in self._rows(f"SELECT seq FROM {table} WHERE gateway = ? AND seq <= ? ORDER BY seq", gateway, upto)]


class PostgresStore:
    def __init__(self, server):
        self.server = server
        self.url = server.database()
        self.database = self.url.rsplit("/", 1)[1].split("?")[0]

    def _rows(self, sql):
        try:
            return self.server.psql(self.database, sql)
        except subprocess.CalledProcessError:
            return []  # the schema is not migrated yet

    def cursor(self, gateway: str) -> int:
        rows = self._rows(f"SELECT last_seq FROM bus_cursor WHERE gateway = '{gateway}'")
        return int(rows[0][0]) if rows else 0

    def seqs(self, table: str, gateway: str, upto: int) -> list[int]:
        return [int(row[0]) for row in self._rows(f"SELECT seq FROM {table} WHERE gateway = '{gateway}' AND seq <= {upto} ORDER BY seq")]


class Store(Process):
    """`gateway store` fed by one or more gateways."""

    name = "store"

    def __init__(self, folder: Path, backend, gateways):
        self.folder = folder
        self.backend = backend
        self.gateways = gateways

    def start(self):
        args = [gateway_binary(), "store", "--db", self.backend.url]
        for gateway in self.gateways:
            args += ["--connect", gateway.publish, "--replay", gateway.replay]
        self.launch(args)

    def wait_past(self, gateway: Gateway, seq: int, timeout: float = 90):
        wait_for(lambda: self.backend.cursor(gateway.id) >= seq, timeout=timeout,
                 what=f"the store to apply {gateway.id} up to seq {seq} (at {self.backend.cursor(gateway.id)})")

    def assert_holds_exactly_the_journal(self, gateway: Gateway):
        """The store's presence rows and sales up to its cursor are the journal's, each once."""
        # Rows up to a cursor read first: later commits only add rows above it.
        upto = self.backend.cursor(gateway.id)
        assert upto > 0
        events = gateway.journal(upto)
        seqs = [event["seq"] for event in events]
        assert seqs == list(range(1, upto + 1)), f"{gateway.id}: the journal has gaps or repeats below {upto}"
        presence = [event["seq"] for event in events if event["type"] in PRESENCE]
        first_sale = {}
        for event in events:
            if event["type"] == "pos.transaction":
                first_sale.setdefault(event["key"], event["seq"])
        assert len(presence) > 50 and first_sale, "too quiet a store to prove anything"
        assert self.backend.seqs("presence", gateway.id, upto) == presence
        assert self.backend.seqs("transactions", gateway.id, upto) == sorted(first_sale.values())
        return upto


def store_backend(kind, tmp_path, request):
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "central.sqlite")
    return PostgresStore(request.getfixturevalue("postgres"))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_store_killed_mid_stream_ends_with_exactly_the_journal(tmp_path, kind, request):
    gateway = Gateway(tmp_path / "gw", "gw-kill-store", seed=11)
    store = Store(tmp_path, store_backend(kind, tmp_path, request), [gateway])
    gateway.start()
    try:
        store.start()
        for _ in range(3):
            store.wait_past(gateway, store.backend.cursor(gateway.id) + 200)
            store.kill()
            # The gateway goes on while the store is down; the store must fetch this gap from the journal.
            behind = gateway.info()["lastSeq"]
            wait_for(lambda: gateway.info()["lastSeq"] > behind + 200, timeout=60, what="the gateway to publish while the store is down")
            store.start()
        store.wait_past(gateway, gateway.info()["lastSeq"])
        store.assert_holds_exactly_the_journal(gateway)
    finally:
        store.stop()
        gateway.stop()


def test_gateway_killed_mid_stream_recovers_its_journal_and_the_store_catches_up(tmp_path):
    gateway = Gateway(tmp_path / "gw", "gw-kill-gateway", seed=12)
    store = Store(tmp_path, SQLiteStore(tmp_path / "central.sqlite"), [gateway])
    gateway.start()
    try:
        store.start()
        store.wait_past(gateway, 300)
        gateway.kill()
        gateway.start()
        restarted_at = gateway.info()["lastSeq"]
        store.wait_past(gateway, restarted_at + 300)
        upto = store.assert_holds_exactly_the_journal(gateway)
        assert upto > restarted_at, "seq continued after the restart and the store kept up"
    finally:
        store.stop()
        gateway.stop()


def test_a_stalled_store_catches_up_exactly(tmp_path):
    # A tiny high-water mark and a store that stops reading: whatever ZeroMQ could not queue for it
    # (counted as `bus refused`) it fetches from the journal afterwards. How soon the kernel's socket
    # buffers fill depends on the machine's speed, so the refusals are reported, not required; the
    # high-water-mark path itself is proven in BusTests (RecoveringSubscriberTests, PubSubTests).
    gateway = Gateway(tmp_path / "gw", "gw-slow", seed=13, high_water_mark=20)
    store = Store(tmp_path, SQLiteStore(tmp_path / "central.sqlite"), [gateway])
    gateway.start()
    try:
        store.start()
        store.wait_past(gateway, 100)
        store.process.send_signal(signal.SIGSTOP)
        try:
            stalled_at = gateway.info()["lastSeq"]
            wait_for(lambda: gateway.info()["lastSeq"] > stalled_at + 2_000, timeout=120,
                     what="the gateway to publish 2000 events while the store is stalled")
        finally:
            store.process.send_signal(signal.SIGCONT)
        store.wait_past(gateway, gateway.info()["lastSeq"])
        store.assert_holds_exactly_the_journal(gateway)
        print(f"bus refused while the store was stalled: {gateway.refused()}")
    finally:
        store.stop()
        gateway.stop()


def test_two_gateways_into_one_postgres_store(tmp_path, postgres):
    first = Gateway(tmp_path / "gw-a", "gw-chain-a", seed=21)
    second = Gateway(tmp_path / "gw-b", "gw-chain-b", seed=22)
    store = Store(tmp_path, PostgresStore(postgres), [first, second])
    first.start()
    second.start()
    try:
        store.start()
        store.wait_past(first, first.info()["lastSeq"] + 100)
        store.wait_past(second, second.info()["lastSeq"] + 100)
        store.assert_holds_exactly_the_journal(first)
        store.assert_holds_exactly_the_journal(second)
        # Both stores have a reader called `door`: one row each.
        rows = store.backend._rows("SELECT gateway FROM reader_status WHERE reader = 'door' ORDER BY gateway")
        assert rows == [["gw-chain-a"], ["gw-chain-b"]]
    finally:
        store.stop()
        first.stop()
        second.stop()
