"""The CRM store and `gateway tail` as separate processes on the bus, as in a chain of stores."""
import json
import os
import signal
import sqlite3
import subprocess

from conftest import free_port, gateway_binary, wait_for
from test_pipeline_interop import CUSTOMERS, KEY_HEX, PRODUCTS, SCARF, token


def test_standalone_store_and_tail(tmp_path):
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "products.csv").write_text(PRODUCTS)
    port = free_port()
    (tmp_path / "gateway.yaml").write_text(f"""
gateway: {{ id: gw-chain-1, store: store-chain-1, dataDir: {tmp_path}/gw }}
store: {{ companyPrefixes: ["0614141"] }}
sources:
  - {{ name: door, driver: simulator, zone: entrance }}
  - {{ name: aisles, driver: simulator, zone: floor }}
  - {{ name: till-reader, driver: simulator, zone: checkout }}
  - {{ name: till, driver: simulator, kind: transactions }}
matching: {{ absence: 1s }}
bus: {{ publish: "tcp://127.0.0.1:{port}", replay: "tcp://127.0.0.1:{free_port()}" }}
dashboard: {{ enabled: false }}
crm: {{ embedded: false, db: {tmp_path}/gw/master.sqlite, seed: {{ customers: customers.csv, products: products.csv }} }}
simulator:
  mode: scripted
  speed: 2
  readInterval: 100ms
  shelfItems: 0
  foreignTagRate: 0
  startDelay: 1500ms
  script:
    - {{ customer: C1, buy: ["{SCARF}"], dwell: 1s }}
""")
    env = {**os.environ, "GATEWAY_TOKEN_KEY": KEY_HEX}
    binary = gateway_binary()
    store_log = open(tmp_path / "store.log", "w")
    store = subprocess.Popen([binary, "store", "--connect", f"tcp://127.0.0.1:{port}", "--db", str(tmp_path / "central.sqlite")],
                             cwd=tmp_path, stdout=store_log, stderr=subprocess.STDOUT)
    tail = subprocess.Popen([binary, "tail", "--connect", f"tcp://127.0.0.1:{port}", "--topic", "pos.", "--count", "1"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    gateway = subprocess.Popen([binary, "run", "--config", str(tmp_path / "gateway.yaml"), "--stats-interval", "0"],
                               cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        out, _ = tail.communicate(timeout=60)
        sale = json.loads(out.strip().splitlines()[0])
        assert sale["type"] == "pos.transaction" and sale["token"] == token("C1")

        def stored():
            try:
                db = sqlite3.connect(tmp_path / "central.sqlite")
                return db.execute("SELECT tx_key, token FROM transactions").fetchall()
            except sqlite3.Error:
                return None

        rows = wait_for(stored, timeout=30, what="the standalone store to write the sale")
        assert rows == [(sale["key"], token("C1"))]
    finally:
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=30) == 0
        store.send_signal(signal.SIGTERM)
        assert store.wait(timeout=30) == 0
        store_log.close()
    db = sqlite3.connect(tmp_path / "central.sqlite")
    assert db.execute("SELECT last_seq FROM bus_cursor WHERE gateway = 'gw-chain-1'").fetchone()[0] >= sale["seq"]
    # Not embedded: the gateway's own database holds master data only.
    local = sqlite3.connect(tmp_path / "gw/master.sqlite")
    assert local.execute("SELECT count(*) FROM transactions").fetchone()[0] == 0
