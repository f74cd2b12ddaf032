"""Bad input gets a clear message that names what was wrong and where; nothing crashes."""
from conftest import run_gateway


def test_malformed_config_names_the_key(tmp_path):
    (tmp_path / "bad.yaml").write_text("gateway:\n  id: gw\nbus:\n  publish: tcp://127.0.0.1:70000\n")
    result = run_gateway(["run", "--config", "bad.yaml"], cwd=tmp_path)
    assert result.returncode != 0
    assert "bus.publish" in result.stderr and "70000" in result.stderr
    assert "Fatal error" not in result.stderr


def test_unknown_key_is_an_error(tmp_path):
    (tmp_path / "bad.yaml").write_text("matching:\n  absense: 3s\n")
    result = run_gateway(["run", "--config", "bad.yaml"], cwd=tmp_path)
    assert result.returncode != 0
    assert "matching.absense: unknown key" in result.stderr


def test_bad_zone_reference_names_the_source(tmp_path):
    (tmp_path / "bad.yaml").write_text("sources:\n  - { name: r1, driver: simulator, zone: lobby }\n")
    result = run_gateway(["run", "--config", "bad.yaml"], cwd=tmp_path)
    assert result.returncode != 0
    assert "sources[0].zone: 'lobby' is not a zone" in result.stderr


def test_missing_config_file(tmp_path):
    result = run_gateway(["run", "--config", "nowhere.yaml"], cwd=tmp_path)
    assert result.returncode != 0
    assert "nowhere.yaml" in result.stderr


def test_csv_import_reports_each_bad_line_and_keeps_the_good_ones(tmp_path):
    (tmp_path / "customers.csv").write_text(
        "customer_id,first_name,last_name,email,tier,credentials,recognition_consent\n"
        "C1,Ada,L,ada@example.com,vip,E2801160600002054A1B0001,yes\n"
        "C2,Bo,R,bo@example.com,regular,E2801160600002054A1B0002,maybe\n"
        "C3,Cy,P,cy@example.com,regular,0004211001,no\n")
    result = run_gateway(["import", "customers", "customers.csv", "--db", "crm.sqlite"], cwd=tmp_path,
                         env={"GATEWAY_TOKEN_KEY": "00" * 32})
    assert result.returncode == 1
    assert "customers.csv:3" in result.stderr and "recognition_consent" in result.stderr and "maybe" in result.stderr
    assert "2 imported" in result.stdout and "1 rejected" in result.stdout


def test_reader_without_a_driver_is_refused_clearly(tmp_path):
    (tmp_path / "store.yaml").write_text("gateway: { dataDir: data }\ncrm: { db: data/crm.sqlite }\n")
    result = run_gateway(["run", "--config", "store.yaml", "--no-simulator", "--reader", "bogus://192.0.2.10", "--zone", "floor"],
                         cwd=tmp_path)
    assert result.returncode != 0
    assert "no reader driver 'bogus'" in result.stderr


def test_reader_zone_must_exist(tmp_path):
    (tmp_path / "store.yaml").write_text("gateway: { dataDir: data }\n")
    result = run_gateway(["run", "--config", "store.yaml", "--no-simulator", "--reader", "llrp://192.0.2.10", "--zone", "lobby"],
                         cwd=tmp_path)
    assert result.returncode != 0
    assert "--zone 'lobby'" in result.stderr
