"""`gateway bench --quick --json` keeps running and reports every figure: a smoke test, not a timing assertion.

The figures themselves depend on the machine; what must hold anywhere is that each required key is
there and is a finite, positive number (drops: finite and not negative), so a benchmark that stopped
measuring (a zero rate, an empty latency histogram, a NaN) fails CI.
"""
import json
import math
import subprocess

from conftest import gateway_binary

RATES = [
    "ring.single_ops_per_s",
    "ring.batched_ops_per_s",
    "ring.mutex_baseline_ops_per_s",
    "e2e.unique_events_per_s",
    "e2e.raw_reads_per_s_90pct_dup",
    "latency_us.at_10k.p50",
    "latency_us.at_10k.p99",
    "latency_us.at_100k.p99",
    "matcher.rss_mib_1m_1m",
    "matcher.lookup_ns_p50",
    "epc.sgtin96_decode_ns",
]


def test_bench_quick_json_reports_every_figure():
    # Debug builds are slow and CI machines are loaded: a generous limit, and one-second load phases.
    run = subprocess.run(
        [gateway_binary(), "bench", "--quick", "--json", "--phase-seconds", "1"],
        capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, f"gateway bench failed ({run.returncode}):\n{run.stderr[-4000:]}"
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"--json must print exactly one line (one object), got {len(lines)}:\n{run.stdout[:2000]}"
    report = json.loads(lines[0])
    assert isinstance(report, dict)

    for key in RATES:
        assert key in report, f"missing key {key}; keys: {sorted(report)}"
        value = report[key]
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{key} is not a number: {value!r}"
        assert math.isfinite(value) and value > 0, f"{key} = {value!r}, expected a finite positive number"

    assert "drops" in report, f"missing key drops; keys: {sorted(report)}"
    drops = report["drops"]
    assert isinstance(drops, (int, float)) and math.isfinite(drops) and drops >= 0, f"drops = {drops!r}"
    # Every value in the object is a number or null (a figure that failed), never a string.
    for key, value in report.items():
        assert value is None or isinstance(value, (int, float)), f"{key} = {value!r}"


def test_bench_rejects_bad_options_with_the_option_named():
    run = subprocess.run([gateway_binary(), "bench", "--phase-seconds", "0"], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "--phase-seconds" in run.stderr
