"""Privacy end to end with real processes: consent changed on a running gateway, erasure honoured by the
embedded store, a second store and the dashboard, and a scan of everything that left the matcher for
identifying data (REFERENCE §7)."""
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import subprocess
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import zmq

import conftest
from conftest import free_port, gateway_binary, run_gateway, wait_for

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
ADA_ID, BO_ID, CY_ID = "LOY-7731-0042", "LOY-5518-0007", "LOY-9054-0311"
ADA_TAG, BO_TAG, CY_TAG = "E2801160600002054A1B77F1", "E2801160600002054A1B77F2", "E2801160600002054A1B77F3"
SCARF = "00614141000012"
CONSENT_TOKEN = "consent-s3cret"

CUSTOMERS = f"""customer_id,first_name,last_name,email,tier,credentials,recognition_consent
{ADA_ID},Ada,Lovelace,ada.lovelace@example.com,vip,{ADA_TAG},yes
{BO_ID},Bo,Bramblewick,bo.bramblewick@example.com,regular,{BO_TAG},yes
{CY_ID},Cy,Quillfeather,cy.quillfeather@example.com,vip,{CY_TAG},no
"""
PRODUCTS = f"""gtin,name,price,currency,category
{SCARF},Silk Scarf,89.00,USD,accessories
"""
# What must never leave the matcher: ids (also loyalty numbers at the till), tags, surnames, e-mails.
IDENTIFYING = [ADA_ID, BO_ID, CY_ID, ADA_TAG, BO_TAG, CY_TAG, "Lovelace", "Bramblewick", "Quillfeather", "@example.com"]


def token(customer_id: str, key_hex: str = KEY_HEX) -> str:
    """The pseudonymous token, computed independently: HMAC-SHA256(key, id), first 128 bits as hex."""
    return hmac.new(bytes.fromhex(key_hex), customer_id.encode(), hashlib.sha256).hexdigest()[:32]


def config(tmp, port, replay, dashboard, script, pos_port=None):
    pos = f"pos: {{ listen: \"127.0.0.1:{pos_port}\" }}" if pos_port else ""
    return f"""{pos}
gateway: {{ id: gw-priv, store: store-priv, dataDir: {tmp}/data }}
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
dashboard: {{ enabled: true, listen: "127.0.0.1:{dashboard}" }}
crm:
  db: {tmp}/data/crm.sqlite
  seed: {{ customers: customers.csv, products: products.csv }}
  consent: {{ enabled: {"true" if pos_port else "false"}, token: "${{CONSENT_TOKEN}}" }}
simulator:
  mode: scripted
  seed: 5
  speed: 2
  readInterval: 100ms
  shelfItems: 0
  foreignTagRate: 0
  startDelay: 1500ms
  script:
{script}
"""


class Bus:
    """A live pyzmq subscriber that keeps every frame as it came off the wire."""

    def __init__(self, port):
        self.context = zmq.Context()
        self.sub = self.context.socket(zmq.SUB)
        self.sub.setsockopt(zmq.RCVHWM, 100000)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"")
        self.sub.connect(f"tcp://127.0.0.1:{port}")
        self.poller = zmq.Poller()
        self.poller.register(self.sub, zmq.POLLIN)
        self.raw = []
        self.messages = []

    def find(self, topic, **fields):
        while dict(self.poller.poll(50)):
            frames = self.sub.recv_multipart()
            self.raw.append(b"".join(frames))
            self.messages.append((frames[0].decode(), json.loads(frames[1])))
        return [e for t, e in self.messages if t == topic and all(e.get(k) == v for k, v in fields.items())]

    def close(self):
        self.sub.close(linger=0)
        self.context.term()


class Dashboard:
    """Signs in as the first-run manager and reads the state the browsers get."""

    def __init__(self, port, data):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        password = wait_for(lambda: (data / "dashboard-password").exists() and (data / "dashboard-password").read_text().strip(),
                            timeout=30, what="the first-run dashboard password")
        form = urllib.parse.urlencode({"username": "manager", "password": password}).encode()
        wait_for(lambda: self._sign_in(form), timeout=30, what="dashboard sign-in")

    def _sign_in(self, form):
        try:
            self.opener.open(self.base + "/login", data=form, timeout=5)
            return self.state_text() is not None
        except OSError:
            return False

    def state_text(self):
        with self.opener.open(self.base + "/api/state", timeout=5) as response:
            return response.read().decode()


def start(tmp_path, script, pos_port=None, key_file=False):
    port, replay, dashboard = free_port(), free_port(), free_port()
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "products.csv").write_text(PRODUCTS)
    path = tmp_path / "gateway.yaml"
    path.write_text(config(tmp_path, port, replay, dashboard, script, pos_port))
    env = {**os.environ, "CONSENT_TOKEN": CONSENT_TOKEN}
    if key_file:
        # The key in the gateway's own key file, which `gateway keys rotate` manages.
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / "token.key").write_text(KEY_HEX + "\n")
        env.pop("GATEWAY_TOKEN_KEY", None)
    else:
        env["GATEWAY_TOKEN_KEY"] = KEY_HEX
    bus = Bus(port)
    log = open(tmp_path / "gateway.log", "w")
    proc = subprocess.Popen([gateway_binary(), "run", "--config", str(path), "--stats-interval", "0"],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    return path, port, replay, dashboard, env, bus, proc, log


def stop(proc, log, tmp_path, name="gateway.log"):
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    log.close()
    assert code == 0, (tmp_path / name).read_text()


def rows(db_path, sql, *args):
    with sqlite3.connect(db_path) as db:
        return db.execute(sql, args).fetchall()


def test_withdrawn_recognition_makes_a_known_tag_an_anonymous_visitor(tmp_path):
    script = "\n".join([
        f"    - {{ customer: {BO_ID}, buy: [], dwell: 1s }}",
        "    - { buy: [], dwell: 40s }",
        f"    - {{ customer: {BO_ID}, buy: [], dwell: 1s }}",
    ])
    path, _, _, _, env, bus, proc, log = start(tmp_path, script)
    try:
        wait_for(lambda: bus.find("customer.arrival", token=token(BO_ID)), timeout=60, what="Bo recognised while he consents")
        done = run_gateway(["consent", BO_ID, "--recognition", "off", "--version", "2026-12", "--config", str(path)], tmp_path, env)
        assert done.returncode == 0, done.stderr
        assert "recognition  off" in done.stdout and "version 2026-12" in done.stdout, done.stdout
        # His second visit: the same tag at the door, now counted as a visitor and never linked to him.
        visitors = wait_for(lambda: [e for e in bus.find("presence.enter", subject="visitor") if e["seq"] > bus.find("customer.arrival")[0]["seq"]],
                            timeout=90, what="Bo's second visit as an anonymous visitor")
        assert all("token" not in e and "visit" not in e for e in visitors)
        assert len(bus.find("customer.arrival", token=token(BO_ID))) == 1
        shown = run_gateway(["consent", BO_ID, "--json", "--config", str(path)], tmp_path, env)
        state = json.loads(shown.stdout)["consent"]
        assert state["recognition"]["granted"] is False and state["recognition"]["version"] == "2026-12"
        assert state["profiling"]["granted"] is True and state["marketing"]["granted"] is False
    finally:
        stop(proc, log, tmp_path)
        bus.close()
    history = rows(tmp_path / "data" / "crm.sqlite", "SELECT purpose, granted, version, source FROM consent_history WHERE source != 'import'")
    assert history == [("recognition", 0, "2026-12", "cli")]
    # An unknown customer is an error that names them, and changes nothing.
    missing = run_gateway(["consent", "LOY-0000-0000", "--marketing", "on", "--config", str(path)], tmp_path, env)
    assert missing.returncode != 0 and "LOY-0000-0000" in missing.stderr


def post_consent(pos_port, body, token=CONSENT_TOKEN):
    """POSTs a customer.consent body to the POS listener; returns (status, JSON answer)."""
    return conftest.post(f"http://127.0.0.1:{pos_port}/crm/consent", json.dumps(body).encode(),
                         {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}, timeout=5)


def test_consent_from_another_system_lets_a_customer_be_recognised(tmp_path):
    # Cy (a VIP) has not opted in: her first visit is an anonymous visitor's. The loyalty app then
    # sends her opt-in as customer.consent, and on her next visit staff are told she is here.
    script = "\n".join([
        f"    - {{ customer: {CY_ID}, buy: [], dwell: 1s }}",
        "    - { buy: [], dwell: 40s }",
        f"    - {{ customer: {CY_ID}, buy: [], dwell: 1s }}",
    ])
    pos_port = free_port()
    path, _, _, _, env, bus, proc, log = start(tmp_path, script, pos_port)
    cy = token(CY_ID)
    try:
        wait_for(lambda: bus.find("presence.enter", subject="visitor", zone="entrance"), timeout=60, what="Cy's first visit, anonymous")
        assert not bus.find("customer.arrival") and not bus.find("vip.arrival")
        opt_in = {"type": "customer.consent", "customer": CY_ID, "recognition": True, "version": "app-3.2", "ts": "2026-12-06T10:15:00.000Z"}
        assert wait_for(lambda: post_consent(pos_port, opt_in, token=None)[0] == 401, timeout=30, what="the POS listener")
        assert post_consent(pos_port, opt_in, token="wrong")[0] == 401
        status, answer = post_consent(pos_port, [opt_in, {"customer": "LOY-0000-0000", "marketing": True}, {"customer": CY_ID, "recognition": "yes"}])
        assert status == 200, answer
        assert answer["accepted"] == 1 and answer["rejected"] == 2, answer
        assert "[1].customer: no customer 'LOY-0000-0000' in the store" in answer["errors"], answer
        assert "[2].recognition: must be true or false" in answer["errors"], answer
        status, answer = post_consent(pos_port, "not a message")
        assert status == 400 and "neither" in answer["error"], answer
        alert = wait_for(lambda: bus.find("vip.arrival", token=cy), timeout=90, what="Cy recognised after opting in")
        assert alert[0]["firstName"] == "Cy"
        assert len(bus.find("customer.arrival", token=cy)) == 1
    finally:
        stop(proc, log, tmp_path)
        bus.close()
    history = rows(tmp_path / "data" / "crm.sqlite", "SELECT customer_id, purpose, granted, version, changed_at, source FROM consent_history WHERE source != 'import'")
    assert history == [(CY_ID, "recognition", 1, "app-3.2", "2026-12-06T10:15:00.000Z", "http")]
    assert "customer.consent: 2 refused" in (tmp_path / "gateway.log").read_text()
    # Her access request: everything held about her, in a file only its owner may read.
    out = tmp_path / "cy.json"
    exported = run_gateway(["export", CY_ID, "--out", str(out), "--config", str(path)], tmp_path, env)
    assert exported.returncode == 0, exported.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    held = json.loads(out.read_text())
    assert CY_ID in json.dumps(held) and cy in json.dumps(held) and "app-3.2" in json.dumps(held)
    assert BO_ID not in json.dumps(held) and ADA_ID not in json.dumps(held)
    assert not list(tmp_path.glob("cy.json.*")), "a temporary file was left behind"


def test_key_rotation_keeps_recognition_working(tmp_path):
    script = "\n".join([
        f"    - {{ customer: {BO_ID}, buy: [\"{SCARF}\"], dwell: 1s }}",
        "    - { buy: [], dwell: 40s }",
        f"    - {{ customer: {BO_ID}, buy: [\"{SCARF}\"], dwell: 1s }}",
    ])
    path, _, _, _, env, bus, proc, log = start(tmp_path, script, key_file=True)
    data = tmp_path / "data"
    old = token(BO_ID)
    try:
        wait_for(lambda: bus.find("pos.transaction", token=old), timeout=60, what="Bo's first sale under the old key")
        done = run_gateway(["keys", "rotate", "--config", str(path)], tmp_path, env)
        assert done.returncode == 0, done.stderr
        assert "token key rotated" in done.stdout, done.stdout
        new_key = (data / "token.key").read_text().strip()
        assert new_key != KEY_HEX and (data / "token.key.previous").read_text().strip() == KEY_HEX
        new = token(BO_ID, new_key)
        # His next visit: recognised under the new token, the old one never seen again.
        wait_for(lambda: bus.find("customer.arrival", token=new), timeout=90, what="Bo recognised under the new key")
        wait_for(lambda: bus.find("pos.transaction", token=new), timeout=60, what="Bo's second sale under the new key")
        assert not [e for t, e in bus.messages if e.get("token") == old and e["seq"] > bus.find("customer.arrival", token=new)[0]["seq"]]
    finally:
        stop(proc, log, tmp_path)
        bus.close()
    swept = run_gateway(["keys", "rotate", "--sweep", "--config", str(path)], tmp_path, env)
    assert swept.returncode == 0, swept.stderr
    crm = data / "crm.sqlite"
    assert rows(crm, "SELECT token FROM customers WHERE customer_id = ?", BO_ID) == [(new,)]
    # Both visits and both sales are his, under the one token the store knows him by now.
    assert rows(crm, "SELECT count(*) FROM transactions WHERE token = ?", new)[0][0] == 2
    for table in ("presence", "visits", "transactions"):
        assert not rows(crm, f"SELECT 1 FROM {table} WHERE token = ?", old), table
    # A key managed outside the gateway is not the gateway's to rotate.
    refused = run_gateway(["keys", "rotate", "--config", str(path)], tmp_path, {**env, "GATEWAY_TOKEN_KEY": KEY_HEX})
    assert refused.returncode != 0 and "GATEWAY_TOKEN_KEY" in refused.stderr


def test_erasure_reaches_every_subscriber_and_nothing_identifying_leaves_the_matcher(tmp_path):
    script = "\n".join([
        f"    - {{ customer: {ADA_ID}, buy: [\"{SCARF}\"], dwell: 1s }}",
        f"    - {{ customer: {CY_ID}, buy: [\"{SCARF}\"], dwell: 1s }}",
        f"    - {{ customer: {BO_ID}, buy: [\"{SCARF}\"], dwell: 1s }}",
    ])
    path, port, replay, dashboard_port, env, bus, proc, log = start(tmp_path, script)
    second_db = tmp_path / "second.sqlite"
    second_log = open(tmp_path / "second.log", "w")
    second = subprocess.Popen([gateway_binary(), "store", "--connect", f"tcp://127.0.0.1:{port}", "--replay", f"tcp://127.0.0.1:{replay}",
                               "--db", f"sqlite:{second_db}"], cwd=tmp_path, env=env, stdout=second_log, stderr=subprocess.STDOUT)
    ada = token(ADA_ID)
    try:
        dashboard = Dashboard(dashboard_port, tmp_path / "data")
        wait_for(lambda: bus.find("vip.arrival", token=ada), timeout=60, what="Ada's VIP alert")
        wait_for(lambda: [e for e in bus.find("presence.exit", token=token(BO_ID)) if e.get("visitEnd")], timeout=90, what="the day to end")
        wait_for(lambda: bus.find("pos.transaction", token=token(BO_ID)), timeout=30, what="Bo's sale")
        # Staff see her first name on the alert, never her token.
        wait_for(lambda: '"firstName":"Ada"' in dashboard.state_text(), timeout=10, what="Ada's alert on the dashboard")
        shown = dashboard.state_text()
        assert ada not in shown
        wait_for(lambda: second_db.exists() and rows(second_db, "SELECT count(*) FROM transactions WHERE token = ?", ada)[0][0] == 1,
                 timeout=30, what="the second store to hold Ada's sale")

        done = run_gateway(["erase", ADA_ID, "--json", "--config", str(path)], tmp_path, env)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["token"] == ada and report["credentials"] == 1 and report["transactions"] == 1 and report["presence"] > 0
        tombstone = wait_for(lambda: bus.find("customer.erased", token=ada), timeout=30, what="the customer.erased tombstone")
        assert len(tombstone) == 1 and set(tombstone[0]) == {"v", "seq", "gateway", "store", "type", "ts", "token", "change"}

        # The dashboard forgets her: the alert with her name is gone.
        wait_for(lambda: "Ada" not in dashboard.state_text(), timeout=10, what="the dashboard to forget Ada")
        assert ada not in dashboard.state_text()
        # The second store (a central store in chain mode) forgets her too, keeping the sale anonymous.
        wait_for(lambda: not rows(second_db, "SELECT 1 FROM presence WHERE token = ?", ada), timeout=30, what="the second store to erase")
        assert not rows(second_db, "SELECT 1 FROM transactions WHERE token = ?", ada)
        assert not rows(second_db, "SELECT 1 FROM visits WHERE token = ?", ada)
        assert rows(second_db, "SELECT count(*) FROM transactions")[0][0] == 3
    finally:
        stop(second, second_log, tmp_path, "second.log")
        stop(proc, log, tmp_path)
        bus.close()

    crm = tmp_path / "data" / "crm.sqlite"
    assert not rows(crm, "SELECT 1 FROM customers WHERE customer_id = ?", ADA_ID)
    assert not rows(crm, "SELECT 1 FROM credentials WHERE credential = ?", ADA_TAG)
    for table in ("presence", "visits", "transactions"):
        assert not rows(crm, f"SELECT 1 FROM {table} WHERE token = ?", ada), table
    # Accounting keeps every sale: three scarves, one of them nobody's now.
    totals = rows(crm, "SELECT total FROM transactions")
    assert len(totals) == 3 and len(set(totals)) == 1, totals
    # Ada's is nobody's now. Cy's stays hers: she showed her loyalty card at the till, which links a sale,
    # while only recognition in the store needs her consent.
    assert rows(crm, "SELECT count(*) FROM transactions WHERE token IS NULL")[0][0] == 1
    assert rows(crm, "SELECT count(*) FROM erasure_outbox WHERE published_seq IS NULL")[0][0] == 0
    # Erasure really erases: with secure delete and the write-ahead log truncated, none of Ada's
    # identity is left in the file's bytes, deleted pages included.
    raw = b"".join(p.read_bytes() for p in crm.parent.glob("crm.sqlite*"))
    for needle in (ADA_ID, ADA_TAG, "Lovelace", "ada.lovelace@example.com"):
        assert needle.encode() not in raw, needle

    # Nothing identifying left the matcher: not on the bus, not in the journal, not in the event tables,
    # not in the second store, not on the dashboard.
    places = {"bus": b"\n".join(bus.raw), "second store": second_db.read_bytes(), "dashboard": shown.encode()}
    places["journal"] = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file() and "journal" in str(p))
    assert places["journal"], "no journal files found"
    with sqlite3.connect(crm) as db:
        for table in ("presence", "visits", "transactions", "transaction_lines", "tenders", "reader_status", "erasure_outbox", "segment_outbox"):
            places[f"table {table}"] = json.dumps(db.execute(f"SELECT * FROM {table}").fetchall()).encode()
    for place, data in places.items():
        for needle in IDENTIFYING:
            for form in {needle, needle.lower()}:
                assert form.encode() not in data, f"{form} found in {place}"
    # Cy never consented to recognition: her token is on her sale and nowhere else.
    assert not [e for t, e in bus.messages if t != "pos.transaction" and token(CY_ID) in json.dumps(e)]
    assert not rows(crm, "SELECT 1 FROM presence WHERE token = ?", token(CY_ID))
    assert not rows(crm, "SELECT 1 FROM visits WHERE token = ?", token(CY_ID))
