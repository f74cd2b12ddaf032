"""`gateway doctor` lists what it can see and says which configured readers are missing."""
import os
import subprocess

from conftest import gateway_binary, run_gateway
from test_missing_device import BADGE_DESCRIPTION


def test_doctor_reports_a_missing_serial_reader(tmp_path):
    (tmp_path / "store.yaml").write_text(f"""
sources:
  - name: floor-uhf
    driver: m100
    zone: floor
    options: {{ device: {tmp_path}/ttyGONE, baud: "115200" }}
  - name: door
    driver: llrp
    zone: entrance
    options: {{ host: 192.0.2.10 }}
""")
    result = run_gateway(["doctor", "--config", "store.yaml"], cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "USB devices:" in result.stdout and "Serial ports:" in result.stdout
    assert f"floor-uhf: serial {tmp_path}/ttyGONE at 115200 baud — MISSING" in result.stdout
    assert "door: LLRP 192.0.2.10:5084" in result.stdout


def test_doctor_names_a_bad_reader_setting(tmp_path):
    (tmp_path / "store.yaml").write_text("sources:\n  - { name: r, driver: m100, zone: floor, options: { device: /dev/ttyUSB0, baud: fast } }\n")
    result = run_gateway(["doctor", "--config", "store.yaml"], cwd=tmp_path)
    assert result.returncode != 0
    assert "sources[0].options.baud" in result.stderr + result.stdout


def test_doctor_lists_the_devices_and_ports_it_sees_and_finds_the_configured_readers(tmp_path):
    """Under umockdev, with the recorded badge reader on port 1-1 and a USB-serial adapter at /dev/ttyUSB0."""
    (tmp_path / "badge.umockdev").write_text(BADGE_DESCRIPTION)
    (tmp_path / "serial.umockdev").write_text("""P: /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0
N: ttyUSB0
E: DEVNAME=/dev/ttyUSB0
E: SUBSYSTEM=tty
E: MAJOR=188
E: MINOR=0
A: dev=188:0
""")
    readers = """
  - { name: door-badge, driver: usbhid, zone: entrance, options: { url: "usbhid://08FF:0009" } }
  - { name: floor-uhf, driver: m100, zone: floor, options: { url: "m100:/dev/ttyUSB0?baud=57600" } }"""
    (tmp_path / "present.yaml").write_text("sources:" + readers + "\n")
    (tmp_path / "one-missing.yaml").write_text("sources:" + readers + """
  - { name: till-badge, driver: usbhid, zone: checkout, options: { device: "08ff:0009", port: "1-2" } }
""")
    environment = {key: value for key, value in os.environ.items() if key not in ("UMOCKDEV_DIR", "LD_PRELOAD")}

    def doctor(config):
        return subprocess.run(["umockdev-run", "-d", "badge.umockdev", "-d", "serial.umockdev", "--",
                               gateway_binary(), "doctor", "--config", config],
                              cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)

    result = doctor("present.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "USB devices:\n" in result.stdout
    assert "  08ff:0009  bus 1 port 1-1  HID keyboard (badge reader?)\n" in result.stdout
    assert "Serial ports:\n  /dev/ttyUSB0\n" in result.stdout
    assert "  door-badge: USB 08ff:0009 — present\n" in result.stdout
    assert "  floor-uhf: serial /dev/ttyUSB0 at 57600 baud — present\n" in result.stdout

    result = doctor("one-missing.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "  till-badge: USB 08ff:0009 at port 1-2 — MISSING\n" in result.stdout
    assert "  door-badge: USB 08ff:0009 — present\n" in result.stdout
