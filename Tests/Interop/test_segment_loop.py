"""The segmentation loop end to end with real processes: import customers and purchase history, run
`gateway segment`, and see the promotion reach the running matcher: `customer.segment`, then
`vip.arrival` for the promoted customer when the simulator walks them in."""
import hashlib
import hmac
import json
import os
import random
import signal
import sqlite3
import subprocess
from datetime import date, timedelta

import zmq

from conftest import free_port, gateway_binary, run_gateway, wait_for

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
ADA_TAG = "E2801160600002054A1B00F1"
AS_OF = date(2026, 6, 30)

CUSTOMERS = f"""customer_id,first_name,last_name,email,tier,credentials,recognition_consent,profiling_consent
C1,Ada,Lovelace,ada@example.com,regular,{ADA_TAG},yes,yes
C2,Bo,Objector,bo@example.com,regular,E2801160600002054A1B00F2,yes,no
"""

REPORT_KEYS = {"runID", "asOf", "timeUnit", "customers", "excluded", "purchases", "bgnbd", "gammaGamma", "segments",
               "tiers", "tierChanges", "published", "removed", "topCustomers", "warnings"}


def token(customer_id: str) -> str:
    """The pseudonymous token, computed independently: HMAC-SHA256(key, id), first 128 bits as hex."""
    return hmac.new(bytes.fromhex(KEY_HEX), customer_id.encode(), hashlib.sha256).hexdigest()[:32]


def history() -> str:
    """A year of purchases: Ada spends 720 (over the 500 VIP line); 80 other customers, unknown to the
    store until the import, stay under it; Bo spends a fortune but objected to profiling."""
    rng = random.Random(11)
    lines = ["customer_id,date,amount"]
    for month in range(1, 7):
        lines.append(f"C1,{AS_OF - timedelta(days=30 * month)},120.00")
    lines += [f"C2,{AS_OF - timedelta(days=10)},5000.00", f"C2,{AS_OF - timedelta(days=40)},5000.00"]
    for index in range(80):
        mean = rng.uniform(15, 55)
        for _ in range(rng.randint(1, 8)):
            day = AS_OF - timedelta(days=rng.randint(0, 364))
            lines.append(f"H{index},{day},{min(59.0, mean * rng.uniform(0.7, 1.3)):.2f}")
    return "\n".join(lines) + "\n"


def config(tmp, port, replay, script):
    return f"""
gateway: {{ id: gw-seg, store: store-seg, dataDir: {tmp}/data }}
store:
  companyPrefixes: ["0614141"]
  zones:
    - {{ name: entrance, role: entrance }}
    - {{ name: floor, role: floor }}
    - {{ name: checkout, role: checkout }}
sources:
  - {{ name: door, driver: simulator, antennas: {{ 1: entrance }} }}
  - {{ name: aisles, driver: simulator, zone: floor }}
  - {{ name: till-reader, driver: simulator, zone: checkout }}
  - {{ name: till, driver: simulator, kind: transactions }}
matching: {{ absence: 1s, vipTier: vip, vipSuppression: 30m }}
bus: {{ publish: "tcp://127.0.0.1:{port}", replay: "tcp://127.0.0.1:{replay}" }}
dashboard: {{ enabled: false }}
crm: {{ db: {tmp}/data/crm.sqlite }}
segmentation:
  schedule: off
  timeUnit: weeks
  window: 365d
  tiers:
    rules:
      - {{ tier: vip, spendOver: "500.00", window: 365d }}
simulator:
  mode: scripted
  seed: 3
  speed: 2
  readInterval: 100ms
  shelfItems: 0
  foreignTagRate: 0
  startDelay: 1500ms
  script:
{script}
"""


def prepare(tmp_path, script):
    """Writes the files, imports customers and history; returns (config path, bus port, replay port, env)."""
    port, replay = free_port(), free_port()
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "history.csv").write_text(history())
    path = tmp_path / "gateway.yaml"
    path.write_text(config(tmp_path, port, replay, script))
    env = {"GATEWAY_TOKEN_KEY": KEY_HEX}
    done = run_gateway(["import", "customers", str(tmp_path / "customers.csv"), "--config", str(path)], tmp_path, env)
    assert done.returncode == 0, done.stderr
    done = run_gateway(["import", "transactions", str(tmp_path / "history.csv"), "--config", str(path)], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert "80 new customers" in done.stdout, done.stdout
    # The same file again adds nothing.
    again = run_gateway(["import", "transactions", str(tmp_path / "history.csv"), "--config", str(path)], tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert " 0 imported" in again.stdout, again.stdout
    return path, port, replay, env


def segment(tmp_path, path, env):
    done = run_gateway(["segment", "--config", str(path), "--as-of", AS_OF.isoformat(), "--json"], tmp_path, env, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == REPORT_KEYS
    assert report["asOf"] == AS_OF.isoformat() and report["timeUnit"] == "weeks"
    assert report["customers"] == 81 and report["excluded"] == 1
    assert set(report["bgnbd"]) == {"r", "alpha", "a", "b", "logLikelihood"}, report["warnings"]
    assert set(report["gammaGamma"]) == {"p", "q", "v", "logLikelihood"}, report["warnings"]
    assert all(value > 0 for key, value in report["bgnbd"].items() if key != "logLikelihood")
    assert sum(report["segments"].values()) == 81
    assert report["tiers"] == {"vip": 1, "regular": 81}
    # Top customers: token and first name only, never an id, surname or e-mail.
    assert report["topCustomers"], report
    for entry in report["topCustomers"]:
        assert set(entry) <= {"token", "firstName", "clv", "segment", "tier"}
        assert "Lovelace" not in json.dumps(entry) and "@" not in json.dumps(entry)
    assert token("C2") not in done.stdout, "an objector is never scored"
    return report


def tier_in_store(tmp_path, customer_id):
    with sqlite3.connect(tmp_path / "data" / "crm.sqlite") as db:
        return db.execute("SELECT tier FROM customers WHERE customer_id = ?", (customer_id,)).fetchone()[0]


class Bus:
    """A live pyzmq subscriber, plus the replay endpoint for what was published before it joined."""

    def __init__(self, port, replay):
        self.context = zmq.Context()
        self.sub = self.context.socket(zmq.SUB)
        self.sub.setsockopt(zmq.RCVHWM, 100000)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.sub.connect(f"tcp://127.0.0.1:{port}")
        self.replay_endpoint = f"tcp://127.0.0.1:{replay}"
        self.poller = zmq.Poller()
        self.poller.register(self.sub, zmq.POLLIN)
        self.messages = []

    def collect(self):
        while dict(self.poller.poll(50)):
            topic, body = self.sub.recv_multipart()
            self.messages.append((topic.decode(), json.loads(body)))

    def find(self, topic, **fields):
        self.collect()
        return [e for t, e in self.messages if t == topic and all(e.get(k) == v for k, v in fields.items())]

    def replay(self, gateway):
        """Every journalled event from seq 1, over the replay protocol (docs/replay.md)."""
        dealer = self.context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(self.replay_endpoint)
        dealer.send(json.dumps({"op": "replay", "id": 1, "gateway": gateway, "from": 1}).encode())
        events = []
        try:
            while True:
                assert dealer.poll(10000), "replay server did not answer"
                frames = dealer.recv_multipart()
                kind = frames[0].decode()
                if kind == "batch":
                    events += [json.loads(body) for body in frames[2:]]
                elif kind == "end":
                    return events
                else:
                    raise AssertionError(f"replay answered {kind}: {frames[1:]}")
        finally:
            dealer.close()

    def close(self):
        self.sub.close(linger=0)
        self.context.term()


def start(tmp_path, path, env):
    log = open(tmp_path / "gateway.log", "w")
    proc = subprocess.Popen([gateway_binary(), "run", "--config", str(path), "--stats-interval", "0"],
                            cwd=tmp_path, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    return proc, log


def stop(proc, log, tmp_path):
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    log.close()
    assert code == 0, (tmp_path / "gateway.log").read_text()


def test_segment_then_run_promotes_and_alerts(tmp_path):
    path, port, replay, env = prepare(tmp_path, "    - { customer: C1, buy: [], dwell: 1s }")
    assert tier_in_store(tmp_path, "C1") == "regular"
    report = segment(tmp_path, path, env)
    assert report["tierChanges"] == 1 and report["published"] >= 1
    assert tier_in_store(tmp_path, "C1") == "vip"
    # Ada buys most, most often: she leads by CLV.
    top = report["topCustomers"][0]
    assert top["token"] == token("C1") and top["firstName"] == "Ada" and top["tier"] == "vip" and top["clv"] > 0

    bus = Bus(port, replay)
    proc, log = start(tmp_path, path, env)
    try:
        vip = wait_for(lambda: bus.find("vip.arrival", token=token("C1")), timeout=60, what="Ada's VIP arrival")
        assert vip[0]["firstName"] == "Ada" and vip[0]["tier"] == "vip"
        # The change was queued by another process before the gateway started: the gateway published it,
        # before the alert. It may have gone out before this subscriber joined, so read the journal.
        journal = bus.replay("gw-seg")
        changes = [e for e in journal if e["type"] == "customer.segment" and e["token"] == token("C1")]
        assert len(changes) == 1, changes
        assert changes[0]["tier"] == "vip" and changes[0]["previousTier"] == "regular" and changes[0]["segment"]
        assert changes[0]["seq"] < vip[0]["seq"]
        # Every queued change went out exactly once.
        segment_events = [e for e in journal if e["type"] == "customer.segment"]
        assert len(segment_events) == report["published"]
        assert len({e["change"] for e in segment_events}) == len(segment_events)
        assert not [e for e in segment_events if e["token"] == token("C2")]
    finally:
        stop(proc, log, tmp_path)
        bus.close()
    with sqlite3.connect(tmp_path / "data" / "crm.sqlite") as db:
        assert db.execute("SELECT count(*) FROM segment_outbox WHERE published_seq IS NULL").fetchone()[0] == 0


def test_running_gateway_picks_up_a_promotion_without_restart(tmp_path):
    # Ada visits as a regular, a long anonymous visit leaves time to segment, then Ada comes back.
    script = "\n".join([
        "    - { customer: C1, buy: [], dwell: 1s }",
        "    - { buy: [], dwell: 60s }",
        "    - { customer: C1, buy: [], dwell: 1s }",
    ])
    path, port, replay, env = prepare(tmp_path, script)
    bus = Bus(port, replay)
    proc, log = start(tmp_path, path, env)
    try:
        first = wait_for(lambda: bus.find("customer.arrival", token=token("C1")), timeout=60, what="Ada's first arrival")
        assert first[0]["tier"] == "regular"
        assert not bus.find("vip.arrival")

        report = segment(tmp_path, path, env)
        assert report["tierChanges"] == 1

        change = wait_for(lambda: bus.find("customer.segment", token=token("C1")), timeout=30,
                          what="customer.segment for Ada from the running gateway")
        assert change[0]["tier"] == "vip" and change[0]["previousTier"] == "regular"
        vip = wait_for(lambda: bus.find("vip.arrival", token=token("C1")), timeout=90, what="Ada's VIP arrival on her next visit")
        assert vip[0]["seq"] > change[0]["seq"]
        # The arrival of the same visit may come just after the alert.
        arrivals = wait_for(lambda: (lambda found: found if len(found) >= 2 else None)(bus.find("customer.arrival", token=token("C1"))),
                            timeout=30, what="Ada's second arrival")
        assert [a["tier"] for a in arrivals] == ["regular", "vip"], "the second visit must be the promoted one"
        assert len(bus.find("vip.arrival")) == 1
    finally:
        stop(proc, log, tmp_path)
        bus.close()


def test_restart_publishes_lost_changes_once_and_never_repeats_published_ones(tmp_path):
    """The crash window, staged in the store: one change was published but its confirmation was lost,
    another was handed to the pipeline and lost before the journal had it. A restart must publish the
    second and only the second."""
    path, port, replay, env = prepare(tmp_path, "    - { customer: C1, buy: [], dwell: 1s }")
    segment(tmp_path, path, env)
    db_path = tmp_path / "data" / "crm.sqlite"

    bus = Bus(port, replay)
    proc, log = start(tmp_path, path, env)
    try:
        def all_confirmed():
            with sqlite3.connect(db_path) as db:
                return db.execute("SELECT count(*) FROM segment_outbox WHERE published_seq IS NULL").fetchone()[0] == 0
        wait_for(all_confirmed, timeout=60, what="the outbox to be published")
    finally:
        stop(proc, log, tmp_path)
    with sqlite3.connect(db_path) as db:
        published_change, last_seq = db.execute(
            "SELECT change_id, published_seq FROM segment_outbox WHERE token = ?", (token("C1"),)).fetchone()
        # Published, but the confirmation never made it to the store.
        db.execute("UPDATE segment_outbox SET published_seq = NULL WHERE change_id = ?", (published_change,))
        # Handed to the pipeline after the last journalled seq, then the process died.
        customer = db.execute("SELECT customer_id FROM customers WHERE customer_id = 'H7'").fetchone()[0]
        db.execute("""INSERT INTO segment_outbox (change_id, customer_id, token, segment, tier, previous_tier, run_id,
                      created_at, announced_at, announced_after)
                      VALUES ('lost-change', ?, ?, 'Loyal Customers', 'regular', NULL, 'staged', '2026-06-30T00:00:00.000Z',
                              '2026-06-30T00:00:00.000Z', ?)""", (customer, token(customer), last_seq + 10_000))

    proc, log = start(tmp_path, path, env)
    try:
        wait_for(all_confirmed, timeout=60, what="the restart to settle the outbox")
        journal = bus.replay("gw-seg")
    finally:
        stop(proc, log, tmp_path)
        bus.close()
    changes = [e["change"] for e in journal if e["type"] == "customer.segment"]
    assert changes.count(published_change) == 1
    assert changes.count("lost-change") == 1
    with sqlite3.connect(db_path) as db:
        seq = db.execute("SELECT published_seq FROM segment_outbox WHERE change_id = ?", (published_change,)).fetchone()[0]
    assert seq == last_seq
