"""A configured device that is not there gives a clear reader.status and a retry loop, never a crash; one that
appears is picked up, and its reads become events."""
import hashlib
import hmac
import json
import os
import select
import signal
import sqlite3
import subprocess
import threading
import time

import zmq

from conftest import ROOT, free_port, gateway_binary, wait_for


def test_missing_usb_and_serial_readers_are_reported_and_the_gateway_keeps_running(tmp_path):
    port = free_port()
    (tmp_path / "store.yaml").write_text(f"""
gateway: {{ id: gw-missing, store: s, dataDir: {tmp_path}/data }}
bus: {{ publish: "tcp://127.0.0.1:{port}", replay: "tcp://127.0.0.1:{free_port()}" }}
crm: {{ db: {tmp_path}/data/crm.sqlite }}
dashboard: {{ enabled: false }}
""")
    proc = subprocess.Popen([gateway_binary(), "run", "--config", str(tmp_path / "store.yaml"), "--no-simulator", "--stats-interval", "0",
                             "--reader", "usbhid://ffff:0035", "--zone", "entrance",
                             "--reader", f"m100:{tmp_path}/ttyNOPE?baud=115200", "--zone", "floor"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # The embedded CRM store records each reader's latest reader.status (it recovers early events through replay).
    def statuses():
        try:
            db = sqlite3.connect(tmp_path / "data/crm.sqlite")
            rows = db.execute("SELECT reader, state, message FROM reader_status").fetchall()
        except sqlite3.Error:
            return None
        found = {reader: (state, message) for reader, state, message in rows}
        if all(found.get(r, ("",))[0] == "error" for r in ("cli-reader-1", "cli-reader-2")):
            return found
        return None

    try:
        found = wait_for(statuses, timeout=30, what="both missing readers to report an error")
        assert proc.poll() is None, "the gateway must keep running with its devices missing"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert "ffff:0035" in found["cli-reader-1"][1] and "not found" in found["cli-reader-1"][1]
    assert "ttyNOPE" in found["cli-reader-2"][1] and "not found" in found["cli-reader-2"][1]
    assert code == 0, proc.stderr.read()


# --- Readers that appear: picked up from the config, and their reads become events on the bus -------------

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
# Bytes a cooked tty would eat or change (CR, LF, XON, XOFF, ^C, DEL) prove the port is raw end to end.
UHF_TAG = "E2800D0A1113037FBB7E0001"
CARD = "0004242"
# The project's recorded badge reader (fixture hid-badge-reader-08ff-0009.umockdev): a boot keyboard, 08ff:0009 on port 1-1.
BADGE_DESCRIPTION = """P: /devices/pci0000:00/0000:00:14.0/usb1/1-1
N: bus/usb/001/002
E: DEVNAME=/dev/bus/usb/001/002
E: DEVTYPE=usb_device
E: DRIVER=usb
E: PRODUCT=8ff/9/100
E: TYPE=0/0/0
E: BUSNUM=001
E: DEVNUM=002
E: MAJOR=189
E: MINOR=1
E: SUBSYSTEM=usb
E: ID_VENDOR_ID=08ff
E: ID_MODEL_ID=0009
E: ID_BUS=usb
E: ID_USB_INTERFACES=:030101:
A: authorized=1
A: bConfigurationValue=1
A: bDeviceClass=00
A: bDeviceProtocol=00
A: bDeviceSubClass=00
A: bMaxPacketSize0=8
A: bMaxPower=100mA
A: bNumConfigurations=1
A: bNumInterfaces= 1
A: bcdDevice=0100
A: bmAttributes=a0
A: busnum=1
A: configuration=
H: descriptors=1201100100000008FF08090000010102000109022200010100A0320904000001030101000921100100012241000705810308000A
A: dev=189:1
A: devnum=2
A: devpath=1
A: idProduct=0009
A: idVendor=08ff
A: manufacturer=Probe
A: maxchild=0
A: product=Probe HID Reader
A: removable=removable
A: speed=12
A: version= 1.10

P: /devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0
E: DEVTYPE=usb_interface
E: DRIVER=usbhid
E: PRODUCT=8ff/9/100
E: TYPE=0/0/0
E: INTERFACE=3/1/1
E: MODALIAS=usb:v08FFp0009d0100dc00dsc00dp00ic03isc01ip01in00
E: SUBSYSTEM=usb
A: authorized=1
A: bAlternateSetting= 0
A: bInterfaceClass=03
A: bInterfaceNumber=00
A: bInterfaceProtocol=01
A: bInterfaceSubClass=01
A: bNumEndpoints=01
A: modalias=usb:v08FFp0009d0100dc00dsc00dp00ic03isc01ip01in00
A: supports_autosuspend=1

P: /devices/pci0000:00/0000:00:14.0/usb1
N: bus/usb/001/001
E: DEVNAME=/dev/bus/usb/001/001
E: DEVTYPE=usb_device
E: DRIVER=usb
E: PRODUCT=1d6b/2/600
E: TYPE=9/0/1
E: BUSNUM=001
E: DEVNUM=001
E: MAJOR=189
E: MINOR=0
E: SUBSYSTEM=usb
A: authorized=1
A: bConfigurationValue=1
A: bDeviceClass=09
A: bDeviceProtocol=01
A: bDeviceSubClass=00
A: bMaxPacketSize0=64
A: bNumConfigurations=1
A: bNumInterfaces= 1
A: bcdDevice=0600
A: busnum=1
H: descriptors=12010002090001406B1D020000060302010109021900010100E0000904000001090000000705810304000C
A: dev=189:0
A: devnum=1
A: devpath=0
A: idProduct=0002
A: idVendor=1d6b
A: maxchild=1
A: speed=480
A: version= 2.00

P: /devices/pci0000:00/0000:00:14.0
E: DRIVER=xhci_hcd
E: PCI_CLASS=C0330
E: PCI_ID=8086:A36D
E: SUBSYSTEM=pci
A: class=0x0c0330
A: device=0xa36d
A: vendor=0x8086

"""
BADGE = {"syspath": "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1", "devnode": "/dev/bus/usb/001/002"}


def token(customer_id):
    return hmac.new(bytes.fromhex(KEY_HEX), customer_id.encode(), hashlib.sha256).hexdigest()[:32]


def badge_emulator_source():
    """The umockdev badge-reader emulator the Swift USB HID tests use, taken from where it lives (a Swift string)."""
    swift = (ROOT / "Tests/USBHIDTests/Emulation/EmulatorScript.swift").read_text()
    return swift.split('#"""\n', 1)[1].split('\n"""#', 1)[0]


def replay(context, endpoint, gateway):
    """Every event the gateway journalled, from its replay server (docs/replay.md): nothing is missed that was
    published before a live subscriber would have joined."""
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)
    dealer.send(json.dumps({"op": "replay", "gateway": gateway, "from": 1}).encode())
    events = []
    try:
        while dealer.poll(1000):
            frames = dealer.recv_multipart()
            if frames[0] == b"batch":
                events += [json.loads(frame) for frame in frames[2:]]
            elif frames[0] == b"end":
                return events
            else:
                raise AssertionError(f"replay answered {frames[0]!r}: {frames[1]!r}")
        return []  # not up yet
    finally:
        dealer.close()


def m100_frame(kind, command, payload):
    body = [kind, command, len(payload) >> 8, len(payload) & 0xFF] + list(payload)
    return bytes([0xBB] + body + [sum(body) & 0xFF, 0x7E])


class M100Emulator(threading.Thread):
    """An M100 reader on the master side of a pty: tag notices after multiple polling, counted stop commands."""

    def __init__(self, link, epc):
        super().__init__(daemon=True)
        self.master, slave = os.openpty()
        self.slave_name = os.ttyname(slave)
        os.close(slave)
        self.link, self.epc = link, bytes.fromhex(epc)
        self.starts = self.stops = 0
        self.running = True

    def plug(self):
        os.symlink(self.slave_name, self.link)
        self.start()

    def run(self):
        notice = m100_frame(0x02, 0x22, bytes([0xC8, 0x30, 0x00]) + self.epc + bytes([0x12, 0x34]))
        polling = False
        received = b""
        while self.running:
            readable, _, _ = select.select([self.master], [], [], 0.05)
            if readable:
                try:
                    received += os.read(self.master, 512)
                except OSError:  # EIO while nobody has the slave open
                    time.sleep(0.01)
                    continue
                if b"\xbb\x00\x27" in received:
                    self.starts += 1
                    polling = True
                if b"\xbb\x00\x28" in received:
                    self.stops += 1
                    polling = False
                    os.write(self.master, m100_frame(0x01, 0x28, [0x00]))
                received = received[-16:] if not (b"\xbb\x00\x27" in received or b"\xbb\x00\x28" in received) else b""
            elif polling:
                os.write(self.master, notice + m100_frame(0x01, 0xFF, [0x15]))  # the tag, then a no-tag round

    def close(self):
        self.running = False
        if self.is_alive():
            self.join(timeout=5)
        os.close(self.master)


def test_readers_from_the_config_produce_arrivals_one_plugged_in_late(tmp_path):
    """A badge reader (umockdev) and an M100 (pty) from the config: the badge is there at start, the M100's
    port appears later; both are picked up, a card and a tag each become a customer.arrival on the bus, and
    the M100 is told to stop polling on shutdown."""
    port, replay_port = free_port(), free_port()
    (tmp_path / "customers.csv").write_text(
        "customer_id,first_name,last_name,email,tier,credentials,recognition_consent\n"
        f"C1,Ada,Tag,ada@example.com,regular,{UHF_TAG},yes\n"
        f"C2,Bo,Card,bo@example.com,regular,{CARD},yes\n")
    uhf = tmp_path / "ttyUHF"
    (tmp_path / "store.yaml").write_text(f"""
gateway: {{ id: gw-readers, store: s, dataDir: {tmp_path}/data }}
store:
  zones:
    - {{ name: entrance, role: entrance }}
    - {{ name: checkout, role: checkout }}
sources:
  - {{ name: door-badge, driver: usbhid, zone: entrance, options: {{ device: "08ff:0009", retryInterval: 500ms }} }}
  - {{ name: till-uhf, driver: m100, zone: checkout, options: {{ url: "m100:{uhf}?baud=115200&retryInterval=200ms" }} }}
bus: {{ publish: "tcp://127.0.0.1:{port}", replay: "tcp://127.0.0.1:{replay_port}" }}
crm: {{ db: {tmp_path}/data/crm.sqlite, seed: {{ customers: customers.csv }} }}
dashboard: {{ enabled: false }}
""")
    # The badge reader types the card once the gateway has claimed it.
    reports = []
    for digit in CARD:
        usage = 0x27 if digit == "0" else 0x1E + int(digit) - 1
        reports += [f"0000{usage:02x}0000000000", "0000000000000000"]
    reports += ["0000280000000000", "0000000000000000"]
    device_log = tmp_path / "device-log.jsonl"
    scenario = {
        "devices": [{"id": "door", "description": BADGE_DESCRIPTION, "kernelDriver": True, **BADGE,
                     "interfaceSyspath": BADGE["syspath"] + "/1-1:1.0"}],
        "steps": [{"awaitDevice": "door", "op": "claim"}, {"device": "door", "reports": reports}],
        "child": [gateway_binary(), "run", "--config", str(tmp_path / "store.yaml"), "--no-simulator", "--stats-interval", "0"],
        "childEnvironment": {"LD_PRELOAD": "libumockdev-preload.so.0", "GATEWAY_TOKEN_KEY": KEY_HEX},
        "childEvents": str(tmp_path / "none"), "childStopFile": str(tmp_path / "none"),
        "childOutput": str(tmp_path / "gateway.log"), "deviceLog": str(device_log), "timeout": 60,
    }
    (tmp_path / "emulator.py").write_text(badge_emulator_source())
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))

    context = zmq.Context()
    environment = {key: value for key, value in os.environ.items() if key != "UMOCKDEV_DIR"}
    emulator_log = open(tmp_path / "emulator.log", "w")
    emulator = subprocess.Popen(["/usr/bin/python3", str(tmp_path / "emulator.py"), str(tmp_path / "scenario.json")],
                                env={**environment, "LD_PRELOAD": "libumockdev-preload.so.0"},
                                stdout=emulator_log, stderr=subprocess.STDOUT)
    uhf_reader = M100Emulator(str(uhf), UHF_TAG)
    messages = []

    def log_ops():
        return [json.loads(line) for line in device_log.read_text().splitlines()] if device_log.exists() else []

    def collect():
        messages[:] = [(event["type"], event) for event in replay(context, f"tcp://127.0.0.1:{replay_port}", "gw-readers")]
        return messages

    def arrivals():
        collect()
        return {(m["token"], m["zone"], m["reader"]) for t, m in messages if t == "customer.arrival"}

    try:
        gateway_pid = wait_for(lambda: next((int(e["pid"]) for e in log_ops() if e["op"] == "child"), None), 30, "the gateway to start")
        # The M100's port is not there yet: the gateway says so and keeps running.
        wait_for(lambda: collect() and any(t == "reader.status" and m.get("reader") == "till-uhf" and m.get("state") == "error"
                                          for t, m in messages), 30, "the missing M100 to be reported")
        uhf_reader.plug()
        wanted = {(token("C2"), "entrance", "door-badge"), (token("C1"), "checkout", "till-uhf")}
        wait_for(lambda: wanted <= arrivals(), 45, "a customer.arrival from each reader")
        collect()
        os.kill(gateway_pid, signal.SIGTERM)
        emulator.wait(timeout=60)
    finally:
        if emulator.poll() is None:
            emulator.kill()
        uhf_reader.close()
        emulator_log.close()
        context.term()
    exit = next((e for e in log_ops() if e["op"] == "exit"), {})
    assert exit.get("code") == "0", (tmp_path / "gateway.log").read_text()[-4000:] + (tmp_path / "emulator.log").read_text()
    statuses = [(m["reader"], m["state"]) for t, m in messages if t == "reader.status"]
    assert ("door-badge", "connected") in statuses and ("till-uhf", "connected") in statuses
    assert uhf_reader.starts >= 1 and uhf_reader.stops == 1
    # The badge was taken from usbhid while the gateway ran and given back at shutdown.
    ops = [e["op"] for e in log_ops() if e["device"] == "door"]
    assert [op for op in ops if op in ("detach", "claim", "release", "attach")] == ["detach", "claim", "release", "attach"]
