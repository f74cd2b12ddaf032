"""`gateway epc` for people debugging tags: one JSON object per input, never stopping at a bad line."""
import json
import subprocess

from conftest import gateway_binary


def test_decode_json_keeps_going_past_bad_lines(tmp_path):
    lines = "3074257BF7194E4000001A85\nnot-hex\nE2801160600002054A1B0001\n"
    result = subprocess.run([gateway_binary(), "epc", "decode", "--json"], input=lines, capture_output=True, text=True, timeout=30)
    out = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert len(out) == 3
    assert out[0]["input"] == "3074257BF7194E4000001A85"
    assert out[0]["scheme"] == "sgtin-96"
    assert out[0]["pureIdentityUri"] == "urn:epc:id:sgtin:0614141.812345.6789"
    assert out[0]["tagUri"] == "urn:epc:tag:sgtin-96:3.0614141.812345.6789"
    assert out[0]["gtin"] == "80614141123458"
    assert "error" in out[1] and out[1]["input"] == "not-hex"
    assert "error" not in out[2]
    assert result.returncode != 0  # a rejected line is reported in the exit status too


def test_encode_round_trips_the_worked_example():
    result = subprocess.run([gateway_binary(), "epc", "encode", "--json", "urn:epc:tag:sgtin-96:3.0614141.812345.6789"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["pureIdentityUri"] == "urn:epc:id:sgtin:0614141.812345.6789"
    assert out["gtin"] == "80614141123458"
