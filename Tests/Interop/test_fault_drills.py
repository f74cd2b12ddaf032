"""Fault drills against the real binary: hostile or broken peers, and a full journal disk.

In each drill one part of the store misbehaves, and the test checks that the gateway says so clearly
and that every other part goes on: the simulated readers keep publishing, the bus keeps delivering.
"""
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import zmq

from conftest import free_port, gateway_binary, post, sqlite_rows, wait_for
from test_pipeline_interop import CUSTOMERS, KEY_HEX, PRODUCTS


class HostileReader:
    """A TCP server where an LLRP reader should be: it floods garbage, or accepts and says nothing."""

    def __init__(self, mode: str):
        self.mode = mode
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.sent = 0
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.server.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                client, _ = self.server.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._talk, args=(client,), daemon=True).start()

    def _talk(self, client):
        noise = random.Random(7)
        try:
            while not self.stopped.is_set():
                if self.mode == "garbage":
                    chunk = bytes(noise.getrandbits(8) for _ in range(4096))
                    client.sendall(chunk)
                    self.sent += len(chunk)
                else:
                    time.sleep(0.1)  # silent: connected, never a byte
        except OSError:
            pass
        finally:
            client.close()

    def stop(self):
        self.stopped.set()
        self.server.close()


def store_config(tmp_path: Path, extra_sources: str = "", journal_dir: str | None = None, pos_port: int | None = None,
                 pos_extra: str = ""):
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "products.csv").write_text(PRODUCTS)
    publish = f"tcp://127.0.0.1:{free_port()}"
    replay = f"tcp://127.0.0.1:{free_port()}"
    pos = f"pos: {{ listen: 127.0.0.1:{pos_port}, maxBodyBytes: 1048576 {pos_extra} }}" if pos_port else ""
    (tmp_path / "gateway.yaml").write_text(f"""
gateway: {{ id: gw-drill, store: store-drill, dataDir: {journal_dir or tmp_path / 'data'} }}
store: {{ companyPrefixes: ["0614141"] }}
sources:
  - {{ name: door, driver: simulator, zone: entrance }}
  - {{ name: aisles, driver: simulator, zone: floor }}
  - {{ name: till-reader, driver: simulator, zone: checkout }}
  - {{ name: till, driver: simulator, kind: transactions }}
{extra_sources}
matching: {{ absence: 400ms }}
bus: {{ publish: "{publish}", replay: "{replay}" }}
dashboard: {{ enabled: false }}
{pos}
crm: {{ db: {tmp_path}/crm.sqlite, seed: {{ customers: customers.csv, products: products.csv }} }}
simulator: {{ mode: continuous, seed: 3, speed: 10, shoppersPerMinute: 600, readInterval: 100ms, shelfItems: 0, foreignTagRate: 0 }}
""")
    return publish, replay


class Bus:
    """A pyzmq subscriber collecting every event on a thread."""

    def __init__(self, endpoint: str):
        self.events = []
        self.socket = zmq.Context.instance().socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"")
        self.socket.connect(endpoint)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.stopped.is_set():
            if self.socket.poll(100):
                self.events.append(json.loads(self.socket.recv_multipart()[-1]))

    def count(self, kind_prefix: str = "") -> int:
        return sum(1 for event in self.events if event["type"].startswith(kind_prefix))

    def keeps_flowing(self, what: str):
        """Waits until new presence events arrive: the rest of the store goes on."""
        before = self.count("presence.")
        wait_for(lambda: self.count("presence.") > before + 20, timeout=30, what=f"presence events to keep flowing {what}")

    def close(self):
        self.stopped.set()
        self.thread.join(timeout=5)
        self.socket.close()


def start(tmp_path: Path, command=None):
    log = open(tmp_path / "gateway.log", "w")
    process = subprocess.Popen(command or [gateway_binary(), "run", "--config", str(tmp_path / "gateway.yaml"), "--stats-interval", "1"],
                               cwd=tmp_path, env={**os.environ, "GATEWAY_TOKEN_KEY": KEY_HEX}, stdout=log, stderr=subprocess.STDOUT)
    return process, log


def stop(process, log, tmp_path: Path):
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=60)
    log.close()
    assert code == 0, (tmp_path / "gateway.log").read_text()[-3000:]


def reader_state(tmp_path: Path, reader: str):
    """The reader's last state and message as the embedded CRM store keeps it (the bus's first status can
    come before a late subscriber joins; the store has it through replay)."""
    rows = sqlite_rows(tmp_path / "crm.sqlite", "SELECT state, message FROM reader_status WHERE reader = ?", reader)
    return rows[0] if rows else None


def llrp_source(port: int) -> str:
    return f"""  - {{ name: hostile, driver: llrp, zone: floor,
      options: {{ url: "llrp://127.0.0.1:{port}", reconnectInitial: 200ms, reconnectMax: 1s, keepalive: 1s, connectTimeout: 2s, responseTimeout: 2s }} }}"""


def test_a_reader_flooding_garbage_is_reported_and_the_store_goes_on(tmp_path):
    reader = HostileReader("garbage")
    publish, replay = store_config(tmp_path, llrp_source(reader.port))
    bus = Bus(publish)
    process, log = start(tmp_path)
    try:
        bus.keeps_flowing("while the reader floods garbage")
        wait_for(lambda: reader.connections >= 2, timeout=30, what="the gateway to drop the garbage connection and reconnect")
        state, message = wait_for(lambda: reader_state(tmp_path, "hostile"), timeout=30,
                                  what="a reader.status naming the hostile reader's trouble")
        assert state == "error", "a reader that garbles the session is a fault, not just a lost link"
        assert "frame header" in message and str(reader.port) in message, message
        bus.keeps_flowing("after reconnecting to the garbage reader")
        assert process.poll() is None
    finally:
        reader.stop()
        stop(process, log, tmp_path)
        bus.close()


def test_a_reader_that_connects_and_says_nothing_times_out_and_is_retried(tmp_path):
    reader = HostileReader("silent")
    publish, replay = store_config(tmp_path, llrp_source(reader.port))
    bus = Bus(publish)
    process, log = start(tmp_path)
    try:
        wait_for(lambda: reader.connections >= 2, timeout=40, what="the gateway to give up on the silent reader and try again")
        state, message = wait_for(lambda: reader_state(tmp_path, "hostile"), timeout=30, what="a reader.status for the silent reader")
        assert state in ("disconnected", "error") and str(reader.port) in message, message
        bus.keeps_flowing("while one reader is silent")
    finally:
        reader.stop()
        stop(process, log, tmp_path)
        bus.close()


def test_a_100_mb_post_is_refused_and_the_listener_keeps_serving(tmp_path):
    pos_port = free_port()
    publish, replay = store_config(tmp_path, "  - { name: poslog, driver: poslog, kind: transactions }", pos_port=pos_port)
    bus = Bus(publish)
    process, log = start(tmp_path)
    url = f"http://127.0.0.1:{pos_port}/pos/poslog"
    try:
        wait_for(lambda: _reachable(pos_port), timeout=30, what="the POS listener")
        # 100 MB announced and streamed; the answer must come without the gateway buffering it all.
        body_size = 100 * 1024 * 1024
        sent = 0
        answer = b""
        with socket.create_connection(("127.0.0.1", pos_port), timeout=30) as client:
            client.sendall((f"POST /pos/poslog HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                            f"Content-Length: {body_size}\r\n\r\n").encode())
            chunk = b"<" * 65536
            try:
                while sent < body_size:
                    client.sendall(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the listener hung up on the oversized body: what it should do
            client.settimeout(10)
            try:
                answer = client.recv(4096)
            except (ConnectionResetError, socket.timeout):
                answer = b""
        assert b" 413 " in answer.split(b"\r\n", 1)[0] or sent < body_size, \
            f"an oversized body is refused (413) or cut off early, not taken in whole ({sent} bytes sent, answer {answer[:80]!r})"
        # The listener still serves: a small malformed document gets its clear 400.
        request = urllib.request.Request(url, data=b"<POSLog", headers={"Content-Type": "application/xml"})
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("a malformed document was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 400
            assert "line" in json.loads(error.read())["error"]
        bus.keeps_flowing("after the oversized POST")
        assert process.poll() is None
    finally:
        stop(process, log, tmp_path)
        bus.close()


def test_a_pos_that_connects_and_trickles_or_says_nothing_is_cut_off_after_pos_read_timeout(tmp_path):
    pos_port = free_port()
    store_config(tmp_path, "  - { name: poslog, driver: poslog, kind: transactions }", pos_port=pos_port, pos_extra=", readTimeout: 1s")
    process, log = start(tmp_path)
    try:
        wait_for(lambda: _reachable(pos_port), timeout=30, what="the POS listener")
        silent = socket.create_connection(("127.0.0.1", pos_port), timeout=30)
        trickling = socket.create_connection(("127.0.0.1", pos_port), timeout=30)
        trickling.sendall(b"POST /pos/poslog HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<POSLog")
        began = time.monotonic()
        for client, what in ((silent, "a connection that sends nothing"), (trickling, "a request whose body stops")):
            # Closed by the gateway: recv returns end of stream (or the connection is reset), not a timeout.
            try:
                assert client.recv(4096) == b"", f"{what} gets no answer but is closed"
            except ConnectionResetError:
                pass
            client.close()
        assert time.monotonic() - began < 25, "both were cut off well before the client's own 30 s timeout"
        # The listener still serves.
        status, _ = post_document(f"http://127.0.0.1:{pos_port}/pos/poslog", SMALL_POSLOG.read_bytes())
        assert status == 200
        assert process.poll() is None
    finally:
        stop(process, log, tmp_path)


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_a_full_journal_disk_is_reported_live_delivery_goes_on_and_journaling_resumes(tmp_path):
    # The data folder on a 4 MiB tmpfs of its own, in a private mount namespace (no root needed);
    # a filler file takes the space, and the test removes it through a signal file from outside.
    data = tmp_path / "data"
    data.mkdir()
    pos_port = free_port()
    publish, replay = store_config(tmp_path, "  - { name: poslog, driver: poslog, kind: transactions }", journal_dir=str(data),
                                   pos_port=pos_port)
    release = tmp_path / "release"
    script = f"""
mount -t tmpfs -o size=4m tmpfs '{data}' || exit 1
"$@" &
gateway=$!
# Pass the test's SIGTERM on, and exit with the gateway's own status.
trap 'kill -TERM $gateway; wait $gateway; exit $?' TERM
while [ ! -e '{data}/journal' ]; do sleep 0.05; done
# Fill what is left: the journal cannot write from here on.
dd if=/dev/zero of='{data}/filler' bs=64k 2>/dev/null || true
while [ ! -e '{release}' ]; do sleep 0.1; kill -0 $gateway 2>/dev/null || exit 1; done
rm -f '{data}/filler'
wait $gateway
"""
    command = ["unshare", "--mount", "--map-root-user", "--", "/bin/sh", "-c", script, "sh",
               gateway_binary(), "run", "--config", str(tmp_path / "gateway.yaml"), "--stats-interval", "1"]
    bus = Bus(publish)
    process, log = start(tmp_path, command)
    text = lambda: (tmp_path / "gateway.log").read_text()
    try:
        wait_for(lambda: "No space left on device" in text(), timeout=60, what="a clear journal error once the disk is full")
        assert "records stay buffered and are retried" in text()
        bus.keeps_flowing("while the journal's disk is full")
        # A sale the journal cannot keep is not answered "accepted": the POS is told to send it again.
        url = f"http://127.0.0.1:{pos_port}/pos/poslog"
        status, answer = post_document(url, SMALL_POSLOG.read_bytes())
        assert status == 503 and answer["code"] == "storage" and "were not kept" in answer["error"], answer
        release.touch()
        wait_for(lambda: "journal writable again" in text(), timeout=60, what="journaling to resume when space returns")
        bus.keeps_flowing("after journaling resumed")
        # The retry is taken afresh (the first try was not recorded as seen), and answered once kept.
        status, answer = post_document(url, SMALL_POSLOG.read_bytes())
        assert status == 200 and answer["accepted"] == 1 and answer["duplicated"] == 0, answer
        assert process.poll() is None
        # Nothing was lost meanwhile: the journal holds every seq, as the replay protocol reads it.
        last, events = journal_events(replay)
        assert last > 0 and [event["seq"] for event in events] == list(range(1, last + 1))
        assert any(event["type"] == "pos.transaction" and event["source"] == "poslog" for event in events)
    finally:
        release.touch()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        log.close()
        bus.close()
    assert code == 0, text()[-3000:]


SMALL_POSLOG = Path(__file__).resolve().parents[1] / "POSLogTests" / "Fixtures" / "ncr-acs-SMALL.xml"


def post_document(url: str, body: bytes):
    """POSTs a POSLog document; the status and the JSON answer."""
    return post(url, body, {"Content-Type": "application/xml"})


def journal_events(replay: str):
    """The journal's last seq and every event from seq 1 to it, over the replay protocol."""
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(replay)
    try:
        dealer.send(json.dumps({"op": "info"}).encode())
        assert dealer.poll(10_000), "replay answers info"
        last = json.loads(dealer.recv_multipart()[1])["lastSeq"]
        dealer.send(json.dumps({"op": "replay", "gateway": "gw-drill", "from": 1, "to": last}).encode())
        events = []
        while True:
            assert dealer.poll(10_000), "replay answers"
            frames = dealer.recv_multipart()
            if frames[0] == b"batch":
                events += [json.loads(frame) for frame in frames[2:]]
            else:
                assert frames[0] == b"end", frames[:2]
                return last, events
    finally:
        dealer.close()


def test_a_reload_with_an_invalid_config_is_refused_and_the_old_config_kept(tmp_path):
    publish, _ = store_config(tmp_path)
    config = tmp_path / "gateway.yaml"
    good = config.read_text()
    bus = Bus(publish)
    process, log = start(tmp_path)
    text = lambda: (tmp_path / "gateway.log").read_text()
    try:
        bus.keeps_flowing("before any reload")
        # The same file again: nothing changed, nothing to restart for.
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reloaded" in text(), timeout=30, what="the unchanged file to reload")
        assert "atNextRestart=nothing" in text() and "applied=nothing" in text()

        config.write_text(good.replace("matching: { absence: 400ms }", "matching: { absence: soon }"))
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reload refused" in text(), timeout=30, what="the invalid file to be refused")
        refusal = next(line for line in text().splitlines() if "config reload refused" in line)
        assert "matching.absence" in refusal and "'soon'" in refusal, refusal
        bus.keeps_flowing("after the refused reload")
        assert process.poll() is None

        # A valid file: the log level applies at once, the matcher's settings at the next restart.
        config.write_text(good.replace("matching: { absence: 400ms }", "matching: { absence: 500ms }") + "log: { level: debug }\n")
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: text().count("config reloaded") >= 2, timeout=30, what="the valid file to reload")
        reloaded = [line for line in text().splitlines() if "config reloaded" in line][-1]
        assert "applied=log.level debug" in reloaded and "atNextRestart=matching" in reloaded, reloaded
        bus.keeps_flowing("after the reload")
    finally:
        stop(process, log, tmp_path)
        bus.close()
    before, after = text().split(reloaded, 1)
    assert " debug " not in before and " debug " in after, "debug lines (the shutdown's, at least) only once the level changed"
