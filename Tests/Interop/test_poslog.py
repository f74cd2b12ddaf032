"""POSLog end to end: the real gateway's POS listener takes the NCR export over HTTP; pyzmq sees the
`pos.transaction` events, Python's sqlite3 sees the rows; the same export again is all duplicates."""
import json
import os
import signal
import sqlite3
import subprocess
import urllib.request
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import zmq

import conftest
from conftest import free_port, gateway_binary, wait_for

FIXTURE = Path(__file__).resolve().parents[1] / "POSLogTests" / "Fixtures" / "ncr-acs-POSLog.xml"
ARTS = "{http://www.nrf-arts.org/IXRetail/namespace/}"
TOKEN = "till-token-for-tests"


def expected_sales():
    """Key → grand total of every retail transaction, read independently with ElementTree."""
    sales = {}
    for transaction in ET.parse(FIXTURE).getroot().findall(ARTS + "Transaction"):
        retail = transaction.find(ARTS + "RetailTransaction")
        if retail is None:
            continue
        key = "/".join(transaction.find(ARTS + name).text
                       for name in ("RetailStoreID", "WorkstationID", "BusinessDayDate", "SequenceNumber"))
        grand = next(t.text for t in retail.findall(ARTS + "Total") if t.get("TotalType") == "TransactionGrandAmount")
        sales[key] = Decimal(grand)
    return sales


def post(url, body, token=TOKEN):
    return conftest.post(url, body, {"Content-Type": "application/xml", **({"Authorization": f"Bearer {token}"} if token else {})})


def test_poslog_over_http_to_bus_and_store(tmp_path):
    bus, replay, pos, dashboard = free_port(), free_port(), free_port(), free_port()
    (tmp_path / "gateway.yaml").write_text(f"""
gateway: {{ id: gw-pos, store: store-pos, dataDir: {tmp_path}/data }}
sources:
  - name: ncr
    driver: poslog
    kind: transactions
    options: {{ token: "${{POSLOG_TOKEN}}", timeZone: UTC }}
bus: {{ publish: "tcp://127.0.0.1:{bus}", replay: "tcp://127.0.0.1:{replay}" }}
pos: {{ listen: "127.0.0.1:{pos}" }}
dashboard: {{ listen: "127.0.0.1:{dashboard}" }}
simulator: {{ enabled: false }}
crm: {{ db: {tmp_path}/data/crm.sqlite }}
""")
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 100000)
    sub.setsockopt(zmq.SUBSCRIBE, b"pos.")
    sub.connect(f"tcp://127.0.0.1:{bus}")
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)

    env = {**os.environ, "POSLOG_TOKEN": TOKEN}
    log = open(tmp_path / "gateway.log", "w")
    proc = subprocess.Popen([gateway_binary(), "run", "--config", str(tmp_path / "gateway.yaml"), "--stats-interval", "0"],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{pos}/pos/poslog"
    body = FIXTURE.read_bytes()
    expected = expected_sales()
    events = []

    def collect():
        while dict(poller.poll(50)):
            topic, payload = sub.recv_multipart()
            events.append((topic.decode(), json.loads(payload)))

    def healthy():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{pos}/healthz", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(healthy, timeout=60, what="the POS listener to answer /healthz")

        status, answer = post(url, body, token=None)
        assert status == 401, answer
        status, answer = post(url, b"<POSLog xmlns='" + ARTS[1:-1].encode() + b"'><Transaction>", token=TOKEN)
        assert status == 400 and "line" in answer["error"] and "column" in answer["error"], answer

        status, answer = post(url, body)
        assert status == 200, answer
        assert answer == {"accepted": 42, "duplicated": 0, "rejected": 0, "ignored": 9, "errors": []}

        def all_sales():
            collect()
            return len([e for t, e in events if t == "pos.transaction"]) >= 42
        wait_for(all_sales, timeout=60, what="42 pos.transaction events")

        status, again = post(url, body)
        assert status == 200, again
        assert again == {"accepted": 0, "duplicated": 42, "rejected": 0, "ignored": 9, "errors": []}

        # The store has caught up with the first post when it holds 42 rows.
        def stored():
            try:
                db = sqlite3.connect(tmp_path / "data/crm.sqlite")
                try:
                    return db.execute("SELECT count(*) FROM transactions").fetchone()[0] >= 42
                finally:
                    db.close()
            except sqlite3.Error:
                return False
        wait_for(stored, timeout=60, what="42 rows in the transactions table")
        # Whatever the second post could have published would be on the bus by now: the first post's
        # 42 events went through the same ring and were delivered long before the store committed them.
        collect()

        # The same counts on the dashboard's /metrics, for monitoring (no sign-in there).
        with urllib.request.urlopen(f"http://127.0.0.1:{dashboard}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        for outcome, count in (("accepted", 42), ("duplicated", 42), ("ignored", 18), ("rejected", 0)):
            line = f'gateway_pos_transactions{{source="ncr",outcome="{outcome}"}} {count}'
            assert line in metrics or (count == 0 and f'outcome="{outcome}"' not in metrics), \
                f"{line} missing: {[m for m in metrics.splitlines() if 'gateway_pos' in m]}"
        assert 'gateway_pos_documents_refused{source="ncr"} 2' in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        log.close()
    assert code == 0, (tmp_path / "gateway.log").read_text()
    collect()

    sales = [e for t, e in events if t == "pos.transaction"]
    assert len(sales) == 42, "the second post published nothing"
    assert {s["key"]: Decimal(str(s["total"])) for s in sales} == expected
    for sale in sales:
        assert sale["currency"] == "USD"
        assert sale["source"] == "ncr"

    db = sqlite3.connect(tmp_path / "data/crm.sqlite")
    rows = db.execute("SELECT tx_key, total FROM transactions").fetchall()
    assert {key: Decimal(total) for key, total in rows} == expected

    ledger = (tmp_path / "data/pos-ledger").read_text().splitlines()
    assert len(ledger) == 42
