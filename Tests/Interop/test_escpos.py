"""The ESC/POS printer tap in the real gateway, fed by python-escpos (a real ESC/POS generator).

A pty stands in for the POS's serial cable, a file for the printer. The printer file must get exactly
the bytes the POS sent, and each receipt must reach the bus as a low-confidence `pos.transaction`
(read with pyzmq, as an outside subscriber would).
"""
import json
import os
import signal
import subprocess
import tty
from decimal import Decimal

import zmq
from escpos.printer import Dummy
from PIL import Image, ImageDraw

from conftest import free_port, gateway_binary, wait_for


def receipt(number, items, total, loyalty=None):
    """One receipt with styling, alignment, a barcode, a native QR code, a QR image, a raster logo and a cut."""
    p = Dummy(profile="TM-T88V")
    p.set(align="center", bold=True, double_height=True)
    p.text("ACME STORE\n")
    logo = Image.new("1", (96, 32), 1)
    ImageDraw.Draw(logo).rectangle((4, 4, 90, 28), outline=0, fill=0)
    p.image(logo)
    p.set(align="left", bold=False, normal_textsize=True)
    p.text(f"Receipt: {number}\n")
    p.text("2026-11-23 10:15\n")
    for description, quantity, unit, amount in items:
        if quantity == 1:
            p.text(f"{description:<24}{amount:>8}\n")
        else:
            p.text(f"{description:<16}{quantity} x {unit}{amount:>8}\n")
    p.set(bold=True)
    p.text(f"TOTAL{total:>27}\n")
    p.set(bold=False)
    if loyalty:
        p.text(f"Loyalty card: {loyalty}\n")
    p.barcode("4006381333931", "EAN13", function_type="A")
    p.barcode("{BR" + str(number), "CODE128", function_type="B")
    p.qr(f"https://example.com/r/{number}", native=True)
    p.qr(f"R{number}", native=False)
    p.set(align="center")
    p.text("Thank you!\n")
    p.cut()
    return p.output


def replay(context, endpoint, gateway):
    """Every event the gateway journalled, asked of its replay server (docs/replay.md)."""
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)
    dealer.send(json.dumps({"op": "replay", "gateway": gateway, "from": 1}).encode())
    events = []
    try:
        while True:
            if not dealer.poll(1000):
                return events  # not up yet: the live stream and the next round will tell
            frames = dealer.recv_multipart()
            kind = frames[0].decode()
            if kind == "batch":
                events += [json.loads(frame) for frame in frames[2:]]
            elif kind == "end":
                return events
            else:
                raise AssertionError(f"replay answered {kind}: {frames[1]!r}")
    finally:
        dealer.close()


RECEIPTS = [
    ("9001", [("Café crème", 2, "1.50", "3.00"), ("Bread", 1, None, "1.99")], "4.99", "L-777"),
    ("9002", [("Mug €5 offer", 1, None, "5.00"), ("Socks", 3, "2.00", "6.00")], "11.00", None),
    ("9003", [("Tea", 1, None, "2.50")], "2.50", None),
]


def test_python_escpos_receipts_pass_through_unchanged_and_reach_the_bus(tmp_path):
    master, slave = os.openpty()
    # The pair's line settings are shared: raw from the start, so nothing written before the tap opens is mangled.
    tty.setraw(master)
    link = tmp_path / "ttyPOS"
    link.symlink_to(os.ttyname(slave))
    printer = tmp_path / "printer.bin"
    port = free_port()
    replay_port = free_port()
    (tmp_path / "gateway.yaml").write_text(f"""
gateway: {{ id: gw-escpos, store: store-esc, dataDir: {tmp_path}/data }}
store:
  zones:
    - {{ name: entrance, role: entrance }}
    - {{ name: checkout, role: checkout }}
sources:
  - name: till-printer
    driver: escpos
    kind: transactions
    options:
      input: {link}
      printer: {printer}
      baud: "38400"
      store: store-esc
      workstation: till-4
      timeZone: UTC
      retryInterval: 500ms
bus: {{ publish: "tcp://127.0.0.1:{port}", replay: "tcp://127.0.0.1:{replay_port}" }}
dashboard: {{ enabled: false }}
crm: {{ db: {tmp_path}/data/crm.sqlite }}
simulator: {{ enabled: false }}
""")
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 100000)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(f"tcp://127.0.0.1:{port}")
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    events = {}

    def collect():
        # The Clone pattern of docs/replay.md: live events, plus a replay of whatever the late joiner missed.
        while dict(poller.poll(50)):
            _, body = sub.recv_multipart()
            event = json.loads(body)
            events[event["seq"]] = event
        for event in replay(context, f"tcp://127.0.0.1:{replay_port}", "gw-escpos"):
            events.setdefault(event["seq"], event)
        return [events[seq] for seq in sorted(events)]

    log = open(tmp_path / "gateway.log", "w")
    proc = subprocess.Popen([gateway_binary(), "run", "--config", str(tmp_path / "gateway.yaml"), "--no-simulator",
                             "--stats-interval", "0"], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    sent = b""
    try:
        for number, items, total, loyalty in RECEIPTS:
            data = receipt(number, items, total, loyalty)
            sent += data
            # The pty holds what the tap has not read yet; a full pty makes this write wait, as a real cable would.
            os.write(master, data)

        def all_sales():
            sales = [e for e in collect() if e["type"] == "pos.transaction"]
            return sales if len(sales) >= len(RECEIPTS) else None
        sales = wait_for(all_sales, timeout=90, what="three pos.transaction events", interval=0.5)
        wait_for(lambda: printer.exists() and printer.stat().st_size >= len(sent), timeout=30,
                 what="the printer file to get every byte")
        assert proc.poll() is None, "the gateway must keep running"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        log.close()
        os.close(master)
        os.close(slave)
    assert code == 0, (tmp_path / "gateway.log").read_text()

    # Pass-through: the very same bytes, in order, nothing added.
    assert printer.read_bytes() == sent

    assert [s["sequenceNumber"] for s in sales] == [r[0] for r in RECEIPTS]
    for sale, (number, items, total, _) in zip(sales, RECEIPTS):
        assert sale["source"] == "till-printer"
        assert sale["posStore"] == "store-esc" and sale["workstation"] == "till-4"
        assert sale["key"] == f"store-esc/till-4/2026-11-23/{number}"
        assert sale["businessDay"] == "2026-11-23"
        assert sale["endedAt"].startswith("2026-11-23T10:15:00")
        assert sale["lowConfidence"] is True
        assert sale.get("flags", []) == []
        assert Decimal(str(sale["total"])) == Decimal(total)
        assert [line["description"] for line in sale["lines"]] == [i[0] for i in items]
        assert [Decimal(str(line["quantity"])) for line in sale["lines"]] == [Decimal(i[1]) for i in items]
        assert [Decimal(str(line["amount"])) for line in sale["lines"]] == [Decimal(i[3]) for i in items]
