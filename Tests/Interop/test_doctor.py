"""`gateway doctor` lists what it can see and says which configured readers are missing."""
from conftest import run_gateway


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
