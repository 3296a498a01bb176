"""tfckpt data --json against numpy on real data sets (sklearn's CSVs and
LibSVM's heart_scale): rows, columns, min/max/mean/missing per column."""
import json
import os
import subprocess
import sys

import numpy as np

BIN = os.environ.get("TFCKPT_BIN")
SKL = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
HEART = "/usr/share/doc/liblinear-tools/examples/heart_scale"
failures = 0


def run(*args):
    out = subprocess.run([BIN, "data", *args, "--json"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def compare(name, d, ref, label_last=True):
    global failures
    ok = d["rows"] == ref.shape[0] and len(d["columns"]) == ref.shape[1]
    for j, col in enumerate(d["columns"]):
        x = ref[:, j]
        ok &= col["missing"] == 0
        ok &= col["min"] == x.min() and col["max"] == x.max()
        ok &= abs(col["mean"] - x.mean()) <= 1e-9 * max(1.0, abs(x.mean()))
        want_type = "int" if np.all(x == np.round(x)) else "float"
        ok &= col["type"] == want_type
        if label_last and j == ref.shape[1] - 1:
            ok &= col["role"] == "label"
        if not ok:
            print(f"FAIL {name} column {j}: {col} vs min {x.min()} max {x.max()} "
                  f"mean {x.mean()} ({want_type})")
            failures += 1
            return
    print(f"ok {name}: {d['rows']} rows, {len(d['columns'])} columns match numpy")


def main():
    if not BIN:
        print("TFCKPT_BIN is not set")
        return 1
    sets = [("iris.csv", []), ("wine_data.csv", []), ("breast_cancer.csv", []),
            ("digits.csv.gz", ["--label", "-1"])]
    for fname, extra in sets:
        path = os.path.join(SKL, fname)
        if not os.path.exists(path):
            print(f"SKIP {path}: not installed")
            continue
        d = run(path, *extra)
        skip = 0 if fname.endswith(".gz") else 1  # sklearn's counts header
        ref = np.loadtxt(path, delimiter=",", skiprows=skip)
        compare(fname, d, ref)
        if fname == "iris.csv":
            assert d["num_classes"] == 3 and d["class_names"] == ["setosa", "versicolor", "virginica"]
    if os.path.exists(HEART):
        rows = []
        for line in open(HEART):
            tok = line.split()
            if not tok:
                continue
            r = [0.0] * 14
            for t in tok[1:]:
                i, v = t.split(":")
                r[int(i) - 1] = float(v)
            r[13] = float(tok[0])
            rows.append(r)
        compare("heart_scale", run(HEART), np.array(rows))
        compare("heart_scale --sparse", run(HEART, "--sparse"), np.array(rows))
    else:
        print(f"SKIP {HEART}: liblinear-tools not installed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
