#!/usr/bin/python3
"""Every checkpoint listed in ../shared/fixtures/MANIFEST.md, through the CLI:
names, dtypes and shapes exactly as the manifest lists them (and for V2
bundles the shard, offset and size of every entry), the sample values, and
`verify` passing (or, for the fixture whose data file is missing, failing with
a message naming that file)."""
import json
import os
import re
import subprocess
import sys

FIX = os.environ["TFCKPT_FIXTURES"]
BIN = os.environ["TFCKPT_BIN"]
DTYPE = {"float": "float32", "double": "float64"}

failures = []
checked = {"files": 0, "tensors": 0, "values": 0, "verified": 0}


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def parse_manifest():
    """case -> {file -> {"tensors": [...], "samples": {name: [values]}}}"""
    cases = {}
    case = None
    cur = None
    lines = open(os.path.join(FIX, "MANIFEST.md"), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^## `([^`]+)`", line)
        if m:
            case = m.group(1)
            cases[case] = {}
        m = re.match(r"^Tensors in `([^`]+)` \(([^)]*)\):", line)
        if m and case:
            cur = {"tensors": [], "samples": {}, "cols": m.group(2)}
            cases[case][m.group(1)] = cur
            if i + 1 < len(lines) and lines[i + 1].startswith("same names"):
                src = re.search(r"as `([^`]+)`", lines[i + 1]).group(1)
                cur["same_as"] = src
            elif i + 1 < len(lines) and lines[i + 1].startswith("```"):
                i += 2
                while not lines[i].startswith("```"):
                    cur["tensors"].append(lines[i].split("\t"))
                    i += 1
        m = re.match(r"^- `([^`]+)`: (\d+): (.*)$", line)
        if m and cur is not None:
            cur["samples"][m.group(1)] = (int(m.group(2)), m.group(3))
        i += 1
    return cases


def shape_of(text):
    text = text.strip()
    if text == "[]":
        return []
    return [int(x) for x in text.strip("[]").split(",")]


def dump_values(path, name):
    """The values `tfckpt dump` writes for tensor `name`."""
    rc, out, err = run("dump", path)
    if rc != 0:
        return None
    lines = out.split("\n")
    for k, line in enumerate(lines):
        if line.startswith("tensor ") and json.loads(line[7:line.index('" ') + 1]) == name:
            count = int(line.rsplit(" ", 1)[1])
            vals = []
            j = k + 1
            while len(vals) < count:
                vals.extend(lines[j].split())
                j += 1
            return vals
    return None


def check_file(case, fname, info, tensors):
    path = os.path.join(FIX, case, fname)
    rc, out, err = run("ls", "--json", "--all", path)
    if rc != 0:
        if "not supported by this build" in err:
            print("skip (V1 not built):", path)
            return
        fail(f"{path}: ls failed: {err.strip()}")
        return
    checked["files"] += 1
    got = {v["name"]: v for v in json.loads(out)}
    want = {t[0]: t for t in tensors}
    if set(got) != set(want):
        fail(f"{path}: names differ: only listed {sorted(set(got) - set(want))[:5]}, "
             f"missing {sorted(set(want) - set(got))[:5]}")
    for name, t in want.items():
        if name not in got:
            continue
        g = got[name]
        checked["tensors"] += 1
        if g["dtype"] != DTYPE.get(t[1], t[1]):
            fail(f"{path}: {name}: dtype {g['dtype']}, manifest {t[1]}")
        if g["shape"] != shape_of(t[2]):
            fail(f"{path}: {name}: shape {g['shape']}, manifest {t[2]}")
        if len(t) >= 6 and "same_as" not in info:
            if [g.get("shard"), g.get("offset"), g["bytes"]] != [int(t[3]), int(t[4]), int(t[5])]:
                fail(f"{path}: {name}: shard/offset/size {g.get('shard')}/{g.get('offset')}/"
                     f"{g['bytes']}, manifest {t[3]}/{t[4]}/{t[5]}")
    for name, (count, text) in info["samples"].items():
        vals = dump_values(path, name)
        if vals is None:
            fail(f"{path}: could not dump {name}")
            continue
        if len(vals) != count:
            fail(f"{path}: {name}: {len(vals)} values, manifest {count}")
        for k, want_v in enumerate(x.strip() for x in text.split(",")):
            want_v = {"true": "1", "false": "0"}.get(want_v.lower(), want_v)
            try:
                a, b = float(vals[k]), float(want_v)
            except ValueError:
                fail(f"{path}: {name}[{k}]: cannot compare {vals[k]!r} with {want_v!r}")
                continue
            if abs(a - b) > 1e-7 * max(1.0, abs(b)):
                fail(f"{path}: {name}[{k}] = {a}, manifest {b}")
            checked["values"] += 1
    rc, out, err = run("verify", path)
    if case == "index_only_missing_data_td3":
        if rc != 1 or "data file missing" not in out + err:
            fail(f"{path}: verify should fail naming the missing data file: {out} {err}")
    elif rc != 0:
        fail(f"{path}: verify failed: {out} {err}")
    else:
        checked["verified"] += 1


def main():
    cases = parse_manifest()
    if len(cases) < 18:
        fail(f"parsed only {len(cases)} cases from MANIFEST.md")
    for case, files in cases.items():
        for fname, info in files.items():
            tensors = info["tensors"]
            if "same_as" in info:
                tensors = files[info["same_as"]]["tensors"]
            if not tensors:
                fail(f"{case}/{fname}: no tensors parsed from the manifest")
                continue
            check_file(case, fname, info, tensors)
    print(f"checked {checked['files']} files, {checked['tensors']} tensors, "
          f"{checked['values']} sample values, {checked['verified']} verified")
    print(f"{checked['tensors'] - len(failures) if not failures else 0} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
