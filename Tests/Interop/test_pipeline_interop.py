"""End to end: a scripted store runs in the real gateway; pyzmq subscribes to its bus as an outside
client would; the SQLite store is read with Python's own sqlite3 afterwards."""
import hashlib
import hmac
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from decimal import Decimal

import zmq

from conftest import free_port, gateway_binary, wait_for

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
VIP_TAG = "E2801160600002054A1B00F1"
PRIVATE_TAG = "E2801160600002054A1B00F3"
SCARF = "00614141000012"   # 89.00
BELT = "00614141000029"    # 49.50

CUSTOMERS = f"""customer_id,first_name,last_name,email,tier,credentials,recognition_consent
C1,Ada,Lovelace,ada@example.com,vip,{VIP_TAG},yes
C2,Bo,Regular,bo@example.com,regular,E2801160600002054A1B00F2,yes
C3,Cy,Private,cy@example.com,vip,{PRIVATE_TAG},no
"""

PRODUCTS = f"""gtin,name,price,currency,category
{SCARF},Silk Scarf,89.00,USD,accessories
{BELT},Leather Belt,49.50,USD,accessories
"""


def token(customer_id: str) -> str:
    """The pseudonymous token, computed independently: HMAC-SHA256(key, id), first 128 bits as hex."""
    return hmac.new(bytes.fromhex(KEY_HEX), customer_id.encode(), hashlib.sha256).hexdigest()[:32]


def config(tmp, port):
    return f"""
gateway: {{ id: gw-test, store: store-test, dataDir: {tmp}/data }}
store:
  companyPrefixes: ["0614141"]
  zones:
    - {{ name: entrance, role: entrance }}
    - {{ name: floor, role: floor }}
    - {{ name: checkout, role: checkout }}
sources:
  - {{ name: door, driver: simulator, antennas: {{ 1: entrance, 2: entrance }} }}
  - {{ name: aisles, driver: simulator, zone: floor }}
  - {{ name: till-reader, driver: simulator, zone: checkout }}
  - {{ name: till, driver: simulator, kind: transactions }}
matching: {{ absence: 1s, vipTier: vip, vipSuppression: 30m }}
bus: {{ publish: "tcp://127.0.0.1:{port}", replay: "tcp://127.0.0.1:{free_port()}" }}
dashboard: {{ enabled: false }}
crm:
  db: {tmp}/data/crm.sqlite
  seed: {{ customers: customers.csv, products: products.csv }}
simulator:
  mode: scripted
  seed: 7
  speed: 2
  readInterval: 100ms
  shelfItems: 0
  foreignTagRate: 0
  startDelay: 1500ms
  script:
    - {{ customer: C1, buy: ["{SCARF}", "{BELT}"], dwell: 1s }}
    - {{ customer: C3, buy: ["{BELT}"], dwell: 1s }}
    - {{ customer: C1, buy: [], dwell: 1s }}
"""


def test_scripted_store_over_pyzmq_and_sqlite(tmp_path):
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "products.csv").write_text(PRODUCTS)
    port = free_port()
    (tmp_path / "gateway.yaml").write_text(config(tmp_path, port))

    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 100000)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(f"tcp://127.0.0.1:{port}")

    env = {**os.environ, "GATEWAY_TOKEN_KEY": KEY_HEX}
    log = open(tmp_path / "gateway.log", "w")
    proc = subprocess.Popen([gateway_binary(), "run", "--config", str(tmp_path / "gateway.yaml"), "--stats-interval", "0"],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    messages = []
    try:
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)

        def collect():
            while dict(poller.poll(50)):
                topic, body = sub.recv_multipart()
                messages.append((topic.decode(), json.loads(body)))
            # Done when both visits of C1 are over: the second ends with a visitEnd exit.
            ends = [m for t, m in messages if t == "presence.exit" and m.get("visitEnd") and m.get("token") == token("C1")]
            return len(ends) >= 2

        wait_for(collect, timeout=60, what="the scripted visits to finish")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        log.close()
    assert code == 0, (tmp_path / "gateway.log").read_text()

    # The contract: two frames, common fields, topic = type, RFC 3339 UTC with milliseconds.
    for topic, event in messages:
        assert event["v"] == 1
        assert event["type"] == topic
        assert event["gateway"] == "gw-test"
        assert event["store"] == "store-test"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["ts"]), event["ts"]
    seqs = [event["seq"] for _, event in messages]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "seq must be gap-free"

    # The VIP arrives once per visit; the second visit is within the suppression window.
    vip = [e for t, e in messages if t == "vip.arrival"]
    assert len(vip) == 1
    assert vip[0]["token"] == token("C1")
    assert vip[0]["firstName"] == "Ada" and vip[0]["tier"] == "vip" and vip[0]["zone"] == "entrance"
    arrivals = [e for t, e in messages if t == "customer.arrival"]
    assert [a["token"] for a in arrivals] == [token("C1"), token("C1")]

    # Two sales: C1's, linked by token, and C3's, bought with the loyalty id but never recognised in store.
    sales = [e for t, e in messages if t == "pos.transaction"]
    assert len(sales) == 2
    ada = sales[0]
    assert ada["token"] == token("C1")
    assert [line["gtin"] for line in ada["lines"]] == [SCARF, BELT]
    assert [line["product"] for line in ada["lines"]] == ["Silk Scarf", "Leather Belt"]
    subtotal = Decimal("89.00") + Decimal("49.50")
    tax = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
    assert Decimal(str(ada["total"])) == subtotal + tax
    assert Decimal(str(ada["tax"])) == tax

    # Consent: C3 never appears as a person, only as an anonymous visitor.
    everything = json.dumps([e for _, e in messages if e["type"] != "pos.transaction"])
    for secret in (token("C3"), PRIVATE_TAG, "Cy", '"C3"'):
        assert secret not in everything
    visitors = [e for t, e in messages if t == "presence.enter" and e["subject"] == "visitor"]
    assert visitors and all("token" not in v for v in visitors)

    # The SQLite store holds the same sales, and its cursor reached the last seq published.
    db = sqlite3.connect(tmp_path / "data/crm.sqlite")
    rows = db.execute("SELECT tx_key, token, total FROM transactions ORDER BY seq").fetchall()
    assert [(r[0], r[1], Decimal(r[2])) for r in rows] == [(s["key"], s.get("token"), Decimal(str(s["total"]))) for s in sales]
    lines = db.execute("SELECT count(*) FROM transaction_lines").fetchone()[0]
    assert lines == 3
    cursor = db.execute("SELECT last_seq FROM bus_cursor WHERE gateway = 'gw-test'").fetchone()[0]
    assert cursor >= seqs[-1]
    visits = db.execute("SELECT count(*) FROM visits WHERE token = ?", (token("C1"),)).fetchone()[0]
    assert visits == 2
    assert db.execute("SELECT count(*) FROM visits WHERE token = ?", (token("C3"),)).fetchone()[0] == 0
