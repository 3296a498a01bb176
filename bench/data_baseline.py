"""Baselines for bench/data_bench.sh: load a numeric CSV with
pandas.read_csv (C engine) and numpy.loadtxt, each in its own child process
so that its peak RSS (ru_maxrss from wait4) is measured alone.

usage: /usr/bin/python3 data_baseline.py FILE [pandas] [numpy]
Prints one JSON line per tool, like bench_data run."""
import json
import os
import subprocess
import sys

CHILD = r"""
import sys, time
path, tool = sys.argv[1], sys.argv[2]
if tool == "pandas":
    import pandas as pd
    t = time.perf_counter()
    df = pd.read_csv(path, engine="c")
    rows = len(df)
else:
    import numpy as np
    t = time.perf_counter()
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    rows = a.shape[0]
print(time.perf_counter() - t, rows)
"""


def measure(path, tool):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, path, tool], stdout=subprocess.PIPE,
                            text=True)
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed with status {proc.returncode}")
    secs, rows = out.split()
    mb = os.path.getsize(path) / 1e6
    secs = float(secs)
    return {"tool": tool, "threads": 1, "mb": round(mb, 1), "rows": int(rows),
            "seconds": round(secs, 3), "mb_per_s": round(mb / secs, 1),
            "peak_rss_mb": round(ru.ru_maxrss / 1024, 1)}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    path = sys.argv[1]
    tools = sys.argv[2:] or ["pandas", "numpy"]
    import numpy, pandas  # noqa: E401  (versions for the record)
    print(json.dumps({"versions": {"numpy": numpy.__version__, "pandas": pandas.__version__}}))
    for tool in tools:
        print(json.dumps(measure(path, tool)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
