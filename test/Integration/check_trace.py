"""Checks a Chrome trace written by `loom run/train --profile`.

usage: check_trace.py TRACE.json [--min-coverage F]

What a trace viewer (chrome://tracing, Perfetto) needs: a traceEvents list
of complete ("X") events with name, ts, dur, pid, tid, plus metadata ("M").
What loom promises on top: every kernel event lies inside a call event of
the function that makes it and kernels do not overlap; every site exists in
the trace's site table; and the kernels account for the calls' time: their
durations sum to between F (default 0.9) and 1.0 of the calls'. Prints one
summary line; exits 1 with the first violation.
"""
import json
import sys


def fail(msg):
    print("check_trace: " + msg)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    min_cov = 0.9
    if "--min-coverage" in args:
        i = args.index("--min-coverage")
        min_cov = float(args[i + 1])
        del args[i : i + 2]
    with open(args[0]) as f:
        t = json.load(f)
    if not isinstance(t, dict) or not isinstance(t.get("traceEvents"), list):
        fail("no traceEvents list")
    meta = t.get("loom")
    if not isinstance(meta, dict) or meta.get("format") != "loom-profile":
        fail("no loom metadata")
    sites = meta["sites"]
    mach = meta["machine"]
    if not (mach["peak_gflops"] > 0 and mach["bandwidth_gbs"] > 0):
        fail("machine roofline missing: %r" % mach)
    calls, kernels = [], []
    for e in t["traceEvents"]:
        ph = e.get("ph")
        if ph == "M":
            continue
        if ph != "X":
            fail("unexpected phase %r" % ph)
        for key in ("name", "ts", "dur", "pid", "tid", "cat"):
            if key not in e:
                fail("event without %s: %r" % (key, e))
        if not (isinstance(e["ts"], (int, float)) and e["dur"] >= 0):
            fail("bad time: %r" % e)
        (calls if e["cat"] == "call" else kernels).append(e)
    if not calls:
        fail("no call events")
    calls.sort(key=lambda e: e["ts"])
    kernels.sort(key=lambda e: e["ts"])
    eps = 0.002  # us: timestamps are printed to the nanosecond
    j = 0
    last_end = -1.0
    for k in kernels:
        site = k["args"]["site"]
        if not (0 <= site < len(sites)) or sites[site]["id"] != site:
            fail("kernel event of unknown site %r" % site)
        if k["ts"] < last_end - eps:
            fail("kernel events overlap at ts %r" % k["ts"])
        last_end = k["ts"] + k["dur"]
        while j < len(calls) and calls[j]["ts"] + calls[j]["dur"] < k["ts"] - eps:
            j += 1
        if j == len(calls) or calls[j]["ts"] > k["ts"] + eps or \
                k["ts"] + k["dur"] > calls[j]["ts"] + calls[j]["dur"] + eps:
            fail("kernel event %r is not inside a call" % k["name"])
        if sites[site]["function"] != calls[j]["name"]:
            fail("site %d belongs to %s, called from %s" %
                 (site, sites[site]["function"], calls[j]["name"]))
    call_us = sum(c["dur"] for c in calls)
    kernel_us = sum(k["dur"] for k in kernels)
    cov = kernel_us / call_us if call_us else 0
    if not (min_cov <= cov <= 1.0 + 1e-9):
        fail("kernels cover %.1f%% of the calls' time (want %.0f%%..100%%)" %
             (100 * cov, 100 * min_cov))
    print("trace ok: %d calls, %d kernel events over %d sites, kernels cover "
          "%.0f%% or more of the calls' time" %
          (len(calls), len(kernels), len(sites), 100 * min_cov))


main()
