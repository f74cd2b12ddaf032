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
    "epc.sgtin96_hex_decode_ns",
    "epc.uri_baseline_decode_ns",
    "matcher.baseline_rss_mib_1m_1m",
    "codec.decode_presence_us",
    "codec.encode_presence_us",
    "codec.foundation_encode_presence_us",
    "codec.foundation_decode_presence_us",
    "store.sqlite_batched_events_per_s",
    "store.sqlite_single_events_per_s",
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

    # Allocations are counted, not timed, so they are the same on every machine and fair to assert:
    # the SGTIN-96 fast path (from the read's bits and from hex text) allocates nothing per read, and
    # the decode through the URI strings does. The second proves the counter counts, so the first
    # cannot pass merely because nothing was counted.
    for key in ("epc.sgtin96_allocs_per_read", "epc.sgtin96_hex_allocs_per_read"):
        assert report.get(key) == 0, f"{key} = {report.get(key)!r}: the SGTIN-96 fast path must not allocate"
    assert report.get("epc.uri_baseline_allocs_per_read", 0) >= 1, (
        f"epc.uri_baseline_allocs_per_read = {report.get('epc.uri_baseline_allocs_per_read')!r}: the allocation counter saw nothing")
    # The compact directory's arrays, counted in bytes: the 200 MiB budget for 1M customers and 1M products.
    assert report.get("matcher.allocated_mib_1m_1m", 1e9) <= 200, f"matcher.allocated_mib_1m_1m = {report.get('matcher.allocated_mib_1m_1m')!r}"

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
    # A store the bench cannot write is refused by name, not skipped.
    run = subprocess.run([gateway_binary(), "bench", "--quick", "--only", "store", "--store", "mysql://bench@127.0.0.1/bench"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "--store" in run.stderr and "mysql" in run.stderr, run.stderr[-2000:]


def test_bench_only_runs_the_parts_asked_for(tmp_path):
    run = subprocess.run([gateway_binary(), "bench", "--quick", "--json", "--only", "epc", "--only", "store"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads(run.stdout)
    assert report["epc.sgtin96_allocs_per_read"] == 0
    assert report["store.sqlite_batched_events_per_s"] > 0 and report["store.sqlite_single_events_per_s"] > 0
    assert report["journal.append_records_per_s"] > report["journal.fsync_each_baseline_per_s"] > 0
    assert not any(key.startswith(("ring.", "matcher.", "e2e.", "latency_us.")) for key in report), sorted(report)
