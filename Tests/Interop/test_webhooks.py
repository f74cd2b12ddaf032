"""Square and Shopify webhooks end to end through the real gateway.

Notifications are signed here with Python's own hmac, as Square (notification URL + body) and Shopify
(body) sign them. Square's order notifications carry only a summary, so the gateway fetches the order
from the Orders API: a fake of it runs here on a free port and checks the bearer token and the
Square-Version header. pyzmq sees the `pos.transaction` and `basket.link` events, sqlite3 the rows.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import zmq

import conftest
from conftest import free_port, gateway_binary, sqlite_rows, wait_for

SQUARE_KEY = "sq-interop-signature-key-4Rt7"
# What the Square subscription names: a public URL a proxy forwards; the gateway is not served there.
SQUARE_URL = "https://shop.example.com/webhooks/square"
SHOPIFY_SECRET = "shpss_interop_7d1e9a0c"
ACCESS_TOKEN = "EAAA-interop-access-token"
KEY_HEX = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

# 2^53 + 1 yen: the first whole number a binary double cannot hold.
BIG_YEN = 9007199254740993
SQUARE_CUSTOMER = "SQ-CUST-ADA"


def token(customer_id: str) -> str:
    """The customer's pseudonymous token, computed independently: HMAC-SHA256(key, id), 128 bits as hex."""
    return hmac.new(bytes.fromhex(KEY_HEX), customer_id.encode(), hashlib.sha256).hexdigest()[:32]


def square_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(SQUARE_KEY.encode(), SQUARE_URL.encode() + body, hashlib.sha256).digest()).decode()


def shopify_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def square_summary(event_id, order_id, state="COMPLETED", kind="order.updated", version=4):
    """Square's own order notification: only `order_created` / `order_updated`, never the Order."""
    field = "order_created" if kind == "order.created" else "order_updated"
    return json.dumps({
        "merchant_id": "MLJD4JJXS3YSP", "type": kind, "event_id": event_id, "created_at": "2026-11-23T23:31:00Z",
        "data": {"type": field, "id": order_id, "object": {field: {
            "created_at": "2026-11-23T23:30:12.345Z", "location_id": "L-TOKYO", "order_id": order_id,
            "state": state, "updated_at": "2026-11-23T23:30:59.001Z", "version": version}}},
    }).encode()


def money(amount, currency):
    return {"amount": amount, "currency": currency}


ORDERS = {
    # A zero-decimal currency and an amount beyond 2^53, paid by a known loyalty member.
    "ORDER-JPY": {
        "id": "ORDER-JPY", "location_id": "L-TOKYO", "state": "COMPLETED", "version": 4, "customer_id": SQUARE_CUSTOMER,
        "created_at": "2026-11-23T23:30:12.345Z", "updated_at": "2026-11-23T23:30:59.001Z", "closed_at": "2026-11-23T23:30:58.000Z",
        "line_items": [{"uid": "li-1", "name": "Kimono", "variation_name": "Silk", "quantity": "1", "catalog_object_id": "VAR-KIMONO",
                        "base_price_money": money(BIG_YEN, "JPY"), "gross_sales_money": money(BIG_YEN, "JPY"),
                        "total_money": money(BIG_YEN, "JPY")}],
        "tenders": [{"id": "t-1", "type": "CARD", "amount_money": money(BIG_YEN, "JPY"),
                     "card_details": {"status": "CAPTURED", "card": {"card_brand": "VISA", "last_4": "1111",
                                                                      "fingerprint": "sq-1-interop-fingerprint"}}}],
        "total_money": money(BIG_YEN, "JPY"), "total_tax_money": money(0, "JPY"),
    },
    "ORDER-KWD": {
        "id": "ORDER-KWD", "location_id": "L-TOKYO", "state": "COMPLETED", "version": 2,
        "created_at": "2026-11-23T23:30:12.345Z", "updated_at": "2026-11-23T23:40:00.000Z",
        "line_items": [{"uid": "li-1", "name": "Dates", "quantity": "2", "base_price_money": money(6170, "KWD"),
                        "gross_sales_money": money(12340, "KWD"), "total_money": money(12345, "KWD"),
                        "total_tax_money": money(5, "KWD")}],
        "tenders": [{"id": "t-2", "type": "CASH", "amount_money": money(12345, "KWD")}],
        "total_money": money(12345, "KWD"), "total_tax_money": money(5, "KWD"),
    },
}


class FakeOrdersAPI:
    """Square's RetrieveOrder on 127.0.0.1: checks the token and version header, can be taken down."""

    def __init__(self):
        self.requests = []
        self.down = False
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def error(self, status, category, code, detail):
                self.answer(status, {"errors": [{"category": category, "code": code, "detail": detail}]})

            def do_GET(self):
                with api.lock:
                    api.requests.append((self.path, self.headers.get("Authorization"), self.headers.get("Square-Version")))
                    down = api.down
                match = re.fullmatch(r"/v2/orders/([A-Za-z0-9_-]+)", self.path)
                if down:
                    self.error(503, "API_ERROR", "SERVICE_UNAVAILABLE", "Square is down for maintenance")
                elif self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                    self.error(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized.")
                elif not re.fullmatch(r"\d{4}-\d\d-\d\d", self.headers.get("Square-Version") or ""):
                    self.error(400, "INVALID_REQUEST_ERROR", "INVALID_SQUARE_VERSION_FORMAT", "Square-Version is missing")
                elif not match or match.group(1) not in ORDERS:
                    self.error(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", f"Order not found: {self.path}")
                else:
                    self.answer(200, {"order": ORDERS[match.group(1)]})

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def set_down(self, down):
        with self.lock:
            self.down = down

    def fetched(self, order_id):
        with self.lock:
            return [r for r in self.requests if r[0] == f"/v2/orders/{order_id}"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


SHOPIFY_ORDER = {
    "id": 5940139491234, "order_number": 1001, "name": "#1001", "location_id": 48752903, "user_id": 109283,
    "created_at": "2026-11-23T18:04:11+01:00", "processed_at": "2026-11-23T18:04:12+01:00", "currency": "EUR",
    "financial_status": "paid", "test": False, "cancelled_at": None, "taxes_included": False,
    "customer": {"id": 7120955100871, "first_name": "Mia"},
    "payment_gateway_names": ["shopify_payments"],
    "payment_details": {"credit_card_bin": "424242", "credit_card_number": "•••• •••• •••• 4242", "credit_card_company": "Visa"},
    "line_items": [
        {"id": 1, "variant_id": 44610569208040, "title": "Organic Cotton T-Shirt", "variant_title": "M / Black",
         "sku": "TSHIRT-M-BLK", "quantity": 2, "price": "25.00", "discount_allocations": [{"amount": "5.00"}]},
        {"id": 2, "variant_id": 44610569240808, "title": "Gift Wrap", "sku": "", "quantity": 1, "price": "2.50",
         "discount_allocations": []},
    ],
    "total_tax": "3.80", "total_price": "51.30",
}


def post(url, body, headers):
    return conftest.post(url, body, {"Content-Type": "application/json", **headers}, timeout=30)


def test_square_and_shopify_webhooks_to_bus_and_store(tmp_path):
    api = FakeOrdersAPI()
    bus, replay, pos = free_port(), free_port(), free_port()
    (tmp_path / "customers.csv").write_text(
        "customer_id,first_name,last_name,email,tier,credentials,recognition_consent\n"
        f"{SQUARE_CUSTOMER},Ada,Lovelace,ada@example.com,vip,,yes\n")
    (tmp_path / "gateway.yaml").write_text(f"""
gateway: {{ id: gw-hooks, store: store-hooks, dataDir: {tmp_path}/data }}
store:
  zones:
    - {{ name: entrance, role: entrance }}
    - {{ name: tills, role: checkout, workstations: [square, shopify] }}
sources:
  - name: square
    driver: square
    kind: transactions
    options:
      secret: ${{SQUARE_SIGNATURE_KEY}}
      notificationURL: {SQUARE_URL}
      accessToken: ${{SQUARE_ACCESS_TOKEN}}
      apiBaseURL: http://127.0.0.1:{api.port}
      apiTimeout: 3s
      timeZone: Asia/Tokyo
      path: /pos/square
  - name: shopify
    driver: shopify
    kind: transactions
    options:
      secret: ${{SHOPIFY_WEBHOOK_SECRET}}
      timeZone: Europe/Berlin
bus: {{ publish: "tcp://127.0.0.1:{bus}", replay: "tcp://127.0.0.1:{replay}" }}
pos: {{ listen: "127.0.0.1:{pos}" }}
dashboard: {{ enabled: false }}
simulator: {{ enabled: false }}
crm:
  db: {tmp_path}/data/crm.sqlite
  seed: {{ customers: customers.csv }}
""")
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 100000)
    for topic in (b"pos.", b"basket.", b"reader.status"):
        sub.setsockopt(zmq.SUBSCRIBE, topic)
    sub.connect(f"tcp://127.0.0.1:{bus}")
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)

    env = {**os.environ, "SQUARE_SIGNATURE_KEY": SQUARE_KEY, "SQUARE_ACCESS_TOKEN": ACCESS_TOKEN,
           "SHOPIFY_WEBHOOK_SECRET": SHOPIFY_SECRET, "GATEWAY_TOKEN_KEY": KEY_HEX}
    log = open(tmp_path / "gateway.log", "w")
    proc = subprocess.Popen([gateway_binary(), "run", "--config", str(tmp_path / "gateway.yaml"), "--stats-interval", "0"],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    square = f"http://127.0.0.1:{pos}/pos/square"
    shopify = f"http://127.0.0.1:{pos}/pos/shopify"
    events = []
    raw = {}

    def collect():
        while dict(poller.poll(50)):
            topic, payload = sub.recv_multipart()
            # Floats as Decimal, so a number the gateway wrote is compared digit for digit.
            event = json.loads(payload, parse_float=Decimal)
            events.append((topic.decode(), event))
            if topic == b"pos.transaction":
                raw[event["key"]] = payload.decode()

    def of(kind):
        collect()
        return [e for t, e in events if t == kind]

    def healthy():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{pos}/healthz", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def signed_square(body):
        return {"x-square-hmacsha256-signature": square_signature(body)}

    def signed_shopify(body, webhook_id, topic="orders/create"):
        return {"X-Shopify-Hmac-SHA256": shopify_signature(body), "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": "northwind.myshopify.com"}

    jpy_key = "L-TOKYO/square/2026-11-24/ORDER-JPY"   # created 23:30 UTC: the next day in Tokyo
    kwd_key = "L-TOKYO/square/2026-11-24/ORDER-KWD"
    shop_key = "48752903/shopify/2026-11-23/1001"
    def subscribed():
        # A signed Shopify body without its topic header is refused (400), which the gateway reports as
        # the source's reader.status: once one arrives, the subscription is live and nothing is missed.
        post(shopify, b"{}", {"X-Shopify-Hmac-SHA256": shopify_signature(b"{}"), "X-Shopify-Webhook-Id": "probe"})
        collect()
        return any(t == "reader.status" and e["reader"] == "shopify" for t, e in events)

    try:
        wait_for(healthy, timeout=60, what="the POS listener to answer /healthz")
        wait_for(subscribed, timeout=30, interval=0.2, what="the bus subscription to be live")

        # A bad signature: 401, nothing fetched, nothing published. A signature over the wrong URL is bad too.
        body = square_summary("evt-forged", "ORDER-JPY")
        status, answer = post(square, body, {"x-square-hmacsha256-signature": square_signature(body + b" ")})
        assert status == 401 and answer["code"] == "unauthorized", answer
        wrong_url = base64.b64encode(hmac.new(SQUARE_KEY.encode(), square.encode() + body, hashlib.sha256).digest()).decode()
        status, answer = post(square, body, {"x-square-hmacsha256-signature": wrong_url})
        assert status == 401, answer
        status, answer = post(square, body, {})
        assert status == 401, answer
        shop_body = json.dumps(SHOPIFY_ORDER).encode()
        status, answer = post(shopify, shop_body, {**signed_shopify(shop_body, "wh-forged"), "X-Shopify-Hmac-SHA256": shopify_signature(b"{}")})
        assert status == 401, answer
        assert api.requests == [], "nothing is fetched for an unsigned notification"

        # order.created while the order is still open: nothing to fetch, counted as ignored.
        status, answer = post(square, square_summary("evt-1", "ORDER-JPY", state="OPEN", kind="order.created", version=1),
                              signed_square(square_summary("evt-1", "ORDER-JPY", state="OPEN", kind="order.created", version=1)))
        assert (status, answer) == (200, {"accepted": 0, "duplicated": 0, "rejected": 0, "ignored": 1, "errors": []})
        assert api.requests == []

        # order.updated, COMPLETED: the gateway fetches the order and publishes it.
        completed = square_summary("evt-2", "ORDER-JPY")
        status, answer = post(square, completed, signed_square(completed))
        assert (status, answer) == (200, {"accepted": 1, "duplicated": 0, "rejected": 0, "ignored": 0, "errors": []})
        fetched = api.fetched("ORDER-JPY")
        assert len(fetched) == 1
        assert fetched[0][1] == f"Bearer {ACCESS_TOKEN}" and re.fullmatch(r"\d{4}-\d\d-\d\d", fetched[0][2]), fetched

        # The same delivery again, and a later order.updated of the same order: nothing new, nothing fetched.
        status, answer = post(square, completed, signed_square(completed))
        assert (status, answer) == (200, {"accepted": 0, "duplicated": 1, "rejected": 0, "ignored": 0, "errors": []})
        later = square_summary("evt-3", "ORDER-JPY", version=7)
        status, answer = post(square, later, signed_square(later))
        assert (status, answer) == (200, {"accepted": 0, "duplicated": 1, "rejected": 0, "ignored": 0, "errors": []})
        assert len(api.fetched("ORDER-JPY")) == 1

        # The Orders API is down: the webhook answers 503 (Square retries), nothing is taken or recorded.
        api.set_down(True)
        kwd = square_summary("evt-4", "ORDER-KWD")
        for _ in range(2):
            status, answer = post(square, kwd, signed_square(kwd))
            assert status == 503 and answer["code"] == "unavailable", answer
            assert "ORDER-KWD" in answer["error"] and "SERVICE_UNAVAILABLE" in answer["error"], answer
        ledger = (tmp_path / "data/pos-ledger").read_text()
        assert "evt-4" not in ledger and "ORDER-KWD" not in ledger
        # Square's retry once the API is back: ingested once, and only once.
        api.set_down(False)
        status, answer = post(square, kwd, signed_square(kwd))
        assert (status, answer) == (200, {"accepted": 1, "duplicated": 0, "rejected": 0, "ignored": 0, "errors": []})
        status, answer = post(square, kwd, signed_square(kwd))
        assert answer["duplicated"] == 1 and answer["accepted"] == 0, answer
        assert len(api.fetched("ORDER-KWD")) == 3

        # Shopify: orders/create, its redelivery (same webhook id) and orders/paid of the same order.
        status, answer = post(shopify, shop_body, signed_shopify(shop_body, "wh-1"))
        assert (status, answer) == (200, {"accepted": 1, "duplicated": 0, "rejected": 0, "ignored": 0, "errors": []})
        status, answer = post(shopify, shop_body, signed_shopify(shop_body, "wh-1"))
        assert answer == {"accepted": 0, "duplicated": 1, "rejected": 0, "ignored": 0, "errors": []}, answer
        status, answer = post(shopify, shop_body, signed_shopify(shop_body, "wh-2", topic="orders/paid"))
        assert answer == {"accepted": 0, "duplicated": 1, "rejected": 0, "ignored": 0, "errors": []}, answer

        wait_for(lambda: len(of("pos.transaction")) >= 3 and len(of("basket.link")) >= 3, timeout=60,
                 what="three pos.transaction and three basket.link events")

        def stored():
            rows = sqlite_rows(tmp_path / "data/crm.sqlite", "SELECT count(*) FROM transactions")
            return bool(rows) and rows[0][0] >= 3
        wait_for(stored, timeout=60, what="three rows in the transactions table")
        collect()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        log.close()
        api.close()
    assert code == 0, (tmp_path / "gateway.log").read_text()
    collect()

    sales = {e["key"]: e for e in of("pos.transaction")}
    assert len(of("pos.transaction")) == 3, "duplicates and updates published nothing"
    assert set(sales) == {jpy_key, kwd_key, shop_key}

    yen = sales[jpy_key]
    assert yen["source"] == "square" and yen["currency"] == "JPY" and yen["posStore"] == "L-TOKYO"
    assert yen["total"] == BIG_YEN and isinstance(yen["total"], int), yen["total"]
    assert f'"total":{BIG_YEN}' in raw[jpy_key].replace(" ", ""), raw[jpy_key]
    assert yen["lines"][0]["unitPrice"] == BIG_YEN and yen["lines"][0]["description"] == "Kimono, Silk"
    assert yen["tenders"] == [{"type": "CARD", "amount": BIG_YEN}]
    assert yen["token"] == token(SQUARE_CUSTOMER), "the Square customer is recognised by their loyalty id"
    assert yen["endedAt"].startswith("2026-11-23T23:30:58")
    for secret in ("1111", "fingerprint", "VISA", "card_details"):
        assert secret not in raw[jpy_key], secret

    dinar = sales[kwd_key]
    assert dinar["currency"] == "KWD" and dinar["total"] == Decimal("12.345") and dinar["tax"] == Decimal("0.005")
    assert dinar["lines"][0]["quantity"] == 2 and dinar["lines"][0]["unitPrice"] == Decimal("6.17")
    assert "token" not in dinar

    shop = sales[shop_key]
    assert shop["source"] == "shopify" and shop["currency"] == "EUR" and shop["total"] == Decimal("51.30")
    assert [line["amount"] for line in shop["lines"]] == [Decimal("50.00"), Decimal("2.50")]
    assert "4242" not in json.dumps(shop, default=str)

    # Each sale's till maps to the checkout zone: a basket link each, no tags seen, every line untagged.
    links = {e["transaction"]: e for e in of("basket.link")}
    assert set(links) == {jpy_key, kwd_key, shop_key}
    assert links[shop_key]["zone"] == "tills" and links[shop_key]["matched"] == [] and links[shop_key]["untaggedLines"] == [1, 2]

    db = sqlite3.connect(tmp_path / "data/crm.sqlite")
    rows = {key: (Decimal(total), currency, tok, source)
            for key, total, currency, tok, source in db.execute("SELECT tx_key, total, currency, token, source FROM transactions")}
    assert rows == {
        jpy_key: (Decimal(BIG_YEN), "JPY", token(SQUARE_CUSTOMER), "square"),
        kwd_key: (Decimal("12.345"), "KWD", None, "square"),
        shop_key: (Decimal("51.30"), "EUR", None, "shopify"),
    }
    # The stored text is the exact figure, not a float's rounding of it.
    assert db.execute("SELECT total FROM transactions WHERE tx_key = ?", (jpy_key,)).fetchone()[0] == str(BIG_YEN)
    lines = db.execute("SELECT count(*) FROM transaction_lines").fetchone()[0]
    assert lines == 4

    # The outage was the feed's state on the bus, and the recovery too.
    square_states = [e["state"] for e in of("reader.status") if e["reader"] == "square"]
    assert "error" in square_states and square_states[-1] == "connected", square_states
    # Three sales and three deliveries that carried them (evt-1 ignored, evt-3 and wh-2 duplicates) are remembered.
    ledger = (tmp_path / "data/pos-ledger").read_text().splitlines()
    assert len(ledger) == 3 + 6, ledger
