"""A configured device that is not there gives a clear reader.status and a retry loop, never a crash."""
import signal
import sqlite3
import subprocess

from conftest import free_port, gateway_binary, wait_for


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
