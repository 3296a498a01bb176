"""`tfckpt average` and `tfckpt cast` checked against values computed
independently with numpy.  The checkpoints are read by a small pure-Python
V2 reader (table blocks + BundleEntryProto), not by tfckpt, so the written
files themselves are checked too.

- average of the 3 compensator checkpoints: every float32 tensor equals
  ((a + b + c) / 3 in float64) rounded to float32, bit for bit; int64 and
  string tensors are the last input's bytes; `--last 3 DIR` gives the same
  files as listing the three inputs in the `checkpoint` file's order.
- cast --to float16: bit-identical to numpy's astype(float16) (round to
  nearest even); cast back to float32 stays within float16 rounding.
- cast --to bfloat16: bit-identical to round-to-nearest-even on the float32
  bits.
"""
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

BIN = os.environ["TFCKPT_BIN"]
FX = os.environ["TFCKPT_FIXTURES"]
COMP = os.path.join(FX, "tf2_checkpoint_manager_compensator")
failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", msg, file=sys.stderr)


def varint(b, p):
    v = shift = 0
    while True:
        c = b[p]
        p += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, p


def block_entries(b):
    n = struct.unpack_from("<I", b, len(b) - 4)[0]
    limit = len(b) - 4 - 4 * n
    p, key, out = 0, b"", []
    while p < limit:
        shared, p = varint(b, p)
        unshared, p = varint(b, p)
        vlen, p = varint(b, p)
        key = key[:shared] + b[p:p + unshared]
        p += unshared
        out.append((key, b[p:p + vlen]))
        p += vlen
    return out


def read_block(f, off, size):
    assert f[off + size] == 0, "compressed block"
    return f[off:off + size]


def table(path):
    f = open(path, "rb").read()
    footer = f[-48:]
    assert footer[-8:] == bytes.fromhex("57fb808b247547db")
    _, p = varint(footer, 0)
    _, p = varint(footer, p)
    ioff, p = varint(footer, p)
    isz, p = varint(footer, p)
    out = []
    for _, handle in block_entries(read_block(f, ioff, isz)):
        off, q = varint(handle, 0)
        size, q = varint(handle, q)
        out += block_entries(read_block(f, off, size))
    return out


def fields(b):
    p, out = 0, []
    while p < len(b):
        tag, p = varint(b, p)
        num, wire = tag >> 3, tag & 7
        if wire == 0:
            v, p = varint(b, p)
        elif wire == 5:
            v = b[p:p + 4]
            p += 4
        elif wire == 2:
            n, p = varint(b, p)
            v = b[p:p + n]
            p += n
        else:
            raise ValueError("wire type %d" % wire)
        out.append((num, v))
    return out


NP = {1: np.float32, 2: np.float64, 9: np.int64, 19: np.float16, 14: np.uint16}


def load(prefix):
    """name -> (dtype enum, shape, raw bytes)"""
    entries = table(prefix + ".index")
    header = dict(fields(entries[0][1]))
    nshards = header.get(1, 0)
    data = {}
    out = {}
    for key, val in entries[1:]:
        e = {1: 0, 3: 0, 4: 0, 5: 0}
        dims = []
        for num, v in fields(val):
            if num == 2:
                for n2, d in fields(v):
                    if n2 == 2:
                        dd = dict(fields(d))
                        dims.append(dd.get(1, 0))
            else:
                e[num] = v
        shard = e[3]
        if shard not in data:
            data[shard] = open("%s.data-%05d-of-%05d" % (prefix, shard, nshards), "rb").read()
        raw = data[shard][e[4]:e[4] + e[5]]
        out[key.decode()] = (e[1], tuple(dims), raw)
    return out


def arr(t):
    dt, shape, raw = t
    return np.frombuffer(raw, dtype=NP[dt]).reshape(shape)


def run(*args):
    r = subprocess.run([BIN] + list(args) + ["--quiet"], capture_output=True, text=True)
    check(r.returncode == 0, "%s failed: %s" % (args, r.stderr))


with tempfile.TemporaryDirectory() as tmp:
    ins = [os.path.join(COMP, c) for c in ("ckpt-9", "ckpt-10", "ckpt-1")]
    out = os.path.join(tmp, "avg")
    run("average", out, *ins)
    got = load(out)
    srcs = [load(p) for p in ins]
    check(set(got) == set(srcs[0]), "average: different tensor names")
    nf = 0
    for name, t in got.items():
        if t[0] == 1:
            a, b, c = (arr(s[name]).astype(np.float64) for s in srcs)
            want = ((a + b + c) / 3).astype(np.float32)
            check(np.array_equal(want.view(np.uint32), arr(t).view(np.uint32)),
                  "average: %s differs from numpy" % name)
            nf += 1
        else:
            check(t == srcs[-1][name], "average: %s is not the last input's" % name)
    check(nf == 19, "average: %d float32 tensors, want 19" % nf)
    # the inputs really differ, so the mean is not trivially one of them
    k = "compensator/fc1/_kernel/.ATTRIBUTES/VARIABLE_VALUE"
    check(not np.array_equal(arr(srcs[0][k]), arr(srcs[2][k])), "inputs should differ")
    print("average: %d float32 tensors match numpy bit for bit" % nf)

    out2 = os.path.join(tmp, "avg_last")
    run("average", out2, "--last", "3", COMP)
    for suffix in (".index", ".data-00000-of-00001"):
        check(open(out + suffix, "rb").read() == open(out2 + suffix, "rb").read(),
              "average --last 3 differs from the explicit list (%s)" % suffix)

    src = load(ins[1])
    f16 = os.path.join(tmp, "f16")
    run("cast", ins[1], f16, "--to", "float16")
    back = os.path.join(tmp, "back")
    run("cast", f16, back, "--to", "float32")
    bf = os.path.join(tmp, "bf16")
    run("cast", ins[1], bf, "--to", "bfloat16")
    g16, gb, gbf = load(f16), load(back), load(bf)
    n = 0
    for name, t in src.items():
        if t[0] != 1:
            check(g16[name] == t and gbf[name] == t, "cast touched %s" % name)
            continue
        x = arr(t)
        check(g16[name][0] == 19, "cast: %s is not float16" % name)
        check(np.array_equal(arr(g16[name]).view(np.uint16), x.astype(np.float16).view(np.uint16)),
              "cast float16: %s differs from numpy" % name)
        y = arr(gb[name]).astype(np.float64)
        tol = np.maximum(np.abs(x.astype(np.float64)) * 2.0 ** -11, 2.0 ** -25)
        check(bool(np.all(np.abs(y - x) <= tol)), "cast round trip: %s off by more than rounding" % name)
        u = x.view(np.uint32).astype(np.uint64)
        want = ((u + np.uint64(0x7FFF) + ((u >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)).astype(np.uint16)
        check(gbf[name][0] == 14 and np.array_equal(arr(gbf[name]), want),
              "cast bfloat16: %s differs" % name)
        n += 1
    print("cast: %d float32 tensors: float16 == numpy, bfloat16 == RNE, round trip within rounding" % n)

if failures:
    print("py_writer_average: %d failure(s)" % failures, file=sys.stderr)
    sys.exit(1)
print("py_writer_average: all checks passed")
