"""Shared by both sides of the interop suite (TensorFlow's venv python and
Debian's /usr/bin/python3 with tfckpt's module); imports neither TensorFlow
nor tfckpt, only numpy (1.24 or 2.x).

A tensor is compared by the sha256 of its canonical bytes, the same definition
`tfckpt verify --hash` uses: the values in C order, little-endian, each element
as stored (bool one byte, bfloat16 its raw 16 bits, quantized types as their
integer); a string tensor is each element as an 8-byte little-endian length
followed by its bytes.  Equal digests mean bit-identical values (NaN payloads,
-0.0 and string bytes included)."""
import hashlib, json, os, struct, sys

import numpy as np


def canon_bytes(value, dtype_name):
    if dtype_name == "string":
        if isinstance(value, (bytes, bytearray)):
            elems = [bytes(value)]
        else:
            elems = [bytes(e) for e in np.asarray(value, dtype=object).reshape(-1)]
        return b"".join(struct.pack("<Q", len(e)) + e for e in elems)
    a = np.asarray(value)
    if a.dtype.names:                       # TF's quantized numpy dtypes are records
        a = a.view(a.dtype[0])
    if a.dtype.byteorder == ">":
        a = a.byteswap().view(a.dtype.newbyteorder("<"))
    return np.ascontiguousarray(a).tobytes()


def digest(value, dtype_name):
    return hashlib.sha256(canon_bytes(value, dtype_name)).hexdigest()


class Results:
    """PASS/FAIL lines on stdout; tests/interop/run.sh counts them."""

    def __init__(self, part):
        self.part = part
        self.failed = 0
        self.passed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS [{self.part}] {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL [{self.part}] {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def equal(self, name, got, want):
        return self.check(name, got == want, f"got {_short(got)}, want {_short(want)}")

    def finish(self):
        print(f"[{self.part}] {self.passed} passed, {self.failed} failed", flush=True)
        # The driver counts the PASS/FAIL lines; exit 0 so a FAIL is counted
        # once, a crash (any other exit) is counted by the driver.
        sys.exit(0)


def _short(x, n=600):
    s = repr(x)
    return s if len(s) <= n else s[:n] + f"... ({len(s)} chars)"


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_json(path):
    with open(path) as f:
        return json.load(f)
