"""tfckpt export/import checked by Debian's numpy.

Every exported value is compared with bytes read *independently* from the
checkpoint's data files at the shard/offset `tfckpt ls --json` reports (so a
bug in the export code cannot hide behind itself), and with the fixture
MANIFEST where offsets do not exist (partitioned, V1).  safetensors files are
parsed here with struct+json, not with our reader.  numpy-written .npz/.npy
files (Fortran order, big-endian, compressed) go the other way through
`tfckpt import`.
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

BIN = os.environ.get("TFCKPT_BIN", "tfckpt")
FIX = os.environ["TFCKPT_FIXTURES"]
QUICK = os.environ.get("TFCKPT_QUICK") == "1"
failures = 0
ROOT = tempfile.mkdtemp(prefix="tfckpt_py_convert_")


def newdir():
    return tempfile.mkdtemp(dir=ROOT)

NP = {"float32": "<f4", "float64": "<f8", "float16": "<f2", "int8": "i1", "int16": "<i2",
      "int32": "<i4", "int64": "<i8", "uint8": "u1", "uint16": "<u2", "uint32": "<u4",
      "uint64": "<u8", "bool": "?", "complex64": "<c8", "complex128": "<c16"}


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def run(*args, ok=True):
    p = subprocess.run([BIN, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise SystemExit("tfckpt %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def expected_from_data(prefix, var, nshards, bf16_as_f32=False):
    """The variable's values read straight from its data file."""
    path = "%s.data-%05d-of-%05d" % (prefix, var["shard"], nshards)
    with open(path, "rb") as f:
        f.seek(var["offset"])
        raw = f.read(var["bytes"])
    if var["dtype"] == "bfloat16":
        u = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
        return u.view("<f4").reshape(var["shape"])
    return np.frombuffer(raw, NP[var["dtype"]]).reshape(var["shape"])


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    check(n % 8 == 0, "%s: header length %d not padded to 8" % (path, n))
    head = blob[8:8 + n]
    check(head[:1] == b"{", "%s: header starts with {" % path)
    hdr = json.loads(head.decode("utf-8"))
    meta = hdr.pop("__metadata__", None)
    data = blob[8 + n:]
    st = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
          "I16": "<i2", "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1",
          "BOOL": "?"}
    out, spans = {}, []
    for name, t in hdr.items():
        b, e = t["data_offsets"]
        spans.append((b, e))
        a = np.frombuffer(data[b:e], st[t["dtype"]]).reshape(t["shape"])
        out[name] = (t["dtype"], a)
    spans.sort()
    pos = 0
    for b, e in spans:  # the spec: ranges tile the data block
        check(b == pos, "%s: hole or overlap at %d" % (path, b))
        pos = e
    check(pos == len(data), "%s: data block %d bytes, tensors cover %d" % (path, len(data), pos))
    return out, meta


def check_fixture(label, ckpt, prefix, extra=()):
    tmp = newdir()
    vars_ = json.loads(run("ls", ckpt, "--json").stdout)
    nshards = len(glob.glob(prefix + ".data-*"))
    npz, npz64, npydir, stf = (os.path.join(tmp, n) for n in ("a.npz", "z.npz", "d", "a.safetensors"))
    run("export", ckpt, "-o", npz, "-q", *extra)
    run("export", ckpt, "-o", npz64, "--compress", "--zip64", "-q", *extra)
    run("export", ckpt, "--format", "npy", "-o", npydir, "-q", *extra)
    st_extra = [x for x in extra if x not in ("--bf16-as", "float32")]
    run("export", ckpt, "-o", stf, "--metadata", "source=py_convert", "-q", *st_extra)
    z, z64 = np.load(npz), np.load(npz64)
    st, meta = read_safetensors(stf)
    check(meta == {"source": "py_convert"}, "%s: safetensors metadata %r" % (label, meta))
    zipfile.ZipFile(npz64).testzip()
    seen = 0
    for v in vars_:
        name, dt = v["name"], v["dtype"]
        if dt in ("string", "variant"):
            check(name not in z.files, "%s: %s exported" % (label, name))
            continue
        if dt == "bfloat16" and "--bf16-as" not in extra:
            continue
        check(name in z.files, "%s: %s missing from npz" % (label, name))
        if name not in z.files:
            continue
        got = z[name]
        check(same(got, z64[name]), "%s: %s differs between stored and deflated npz" % (label, name))
        fromdir = np.load(os.path.join(npydir, name + ".npy"))
        check(same(got, fromdir), "%s: %s differs between npz and npy dir" % (label, name))
        if "shard" in v:
            want = expected_from_data(prefix, v, nshards)
            check(same(got, want), "%s: %s npz values differ from the data file" % (label, name))
            if dt in ("complex64", "complex128"):
                check(name not in st, "%s: complex %s in safetensors" % (label, name))
            else:
                sdt, sa = st[name]
                if dt == "bfloat16":
                    sa = (sa.astype(np.uint32) << 16).view("<f4")
                check(sa.tobytes() == want.tobytes() and list(sa.shape) == v["shape"],
                      "%s: %s safetensors values differ" % (label, name))
            seen += 1
        check(list(got.shape) == v["shape"], "%s: %s shape" % (label, name))
    return z, seen


# 1. real TF checkpoints: float64 SavedModel, 2-shard transformer
z, n = check_fixture("gpflow", os.path.join(FIX, "savedmodel_gpflow_double"),
                     os.path.join(FIX, "savedmodel_gpflow_double/variables/variables"))
check(n == 13, "gpflow: 13 float64 variables compared, got %d" % n)
check(abs(float(z["kernel/kernels/0/kernels/0/variance/_pretransformed_input/.ATTRIBUTES/"
                   "VARIABLE_VALUE"]) - 0.5413248546129181) < 1e-16, "gpflow: sample value")
if not QUICK:
    z, n = check_fixture("t2t", os.path.join(FIX, "tf1_sharded_t2t_transformer"),
                         os.path.join(FIX, "tf1_sharded_t2t_transformer/model.ckpt-1"))
    check(n == 250, "t2t: 250 variables compared, got %d" % n)
    check(z["transformer/symbol_modality_8190_16/shared/weights_9"].shape == (512, 16), "t2t shape")

# 2. every dtype (strings skipped and listed; bfloat16 widened on request)
allp = os.path.join(FIX, "spec_synthetic/all_dtypes")
z, n = check_fixture("all_dtypes", allp, os.path.join(allp, "model.ckpt-7"),
                     ("--skip-unsupported", "--bf16-as", "float32"))
check(n == 17, "all_dtypes: 17 numeric variables compared, got %d" % n)
check(z["bf16/vector"].tolist() == [1.0, -2.0, float("inf"), 0.333984375], "bf16 widened")
check(z["c64/vector"].tolist() == [1 + 2j, -3.5 - 0.25j], "complex64 values")
check(z["u64/vector"].tolist() == [0, 18446744073709551615], "uint64 values")
check(z["empty/f32"].shape == (0, 5), "empty tensor shape")
p = run("export", allp, "-o", os.path.join(newdir(), "x.npz"), ok=False)
check(p.returncode == 1 and "string/vector: string variable" in p.stderr, "strings refused: " + p.stderr)

# 3. partitioned (assembled) and V1 (no offsets): against the MANIFEST
tmp = newdir()
run("export", os.path.join(FIX, "spec_synthetic/partitioned_sharded/model.ckpt-100"), "-o",
    tmp + "/p.npz", "--skip-unsupported", "-q")
pz = np.load(tmp + "/p.npz")
check(same(pz["part/w"], np.arange(40, dtype="<f4").reshape(10, 4)), "partitioned part/w = 4r+c")
check(pz["a"].tolist() == [1, 1, 1], "partitioned a")
run("export", os.path.join(FIX, "v1_acrobot_tf0x"), "-o", tmp + "/v1.npz", "-q")
vz = np.load(tmp + "/v1.npz")
check(len(vz.files) == 34, "v1: 34 tensors")
check(np.allclose(vz["policy/Stack/fully_connected_1/biases"][:4],
                  [0.67410481, -2.14627814, -1.2345531, 0.894192934], rtol=0, atol=1e-7),
      "v1 sample values")
run("export", os.path.join(FIX, "spec_synthetic/v1_slices/model.ckpt-5"), "-o", tmp + "/v1s.npz",
    "--skip-unsupported", "-q")
check(same(np.load(tmp + "/v1s.npz")["w"], np.arange(12, dtype="<f4").reshape(4, 3)), "v1 slices w")

# 4. numpy-written files into checkpoints and back out
arrs = {"layer/kernel": np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
        "layer/bias": np.array([-1.5, 2.25], dtype=np.float64),
        "fortran": np.asfortranarray(np.arange(12, dtype=np.int64).reshape(3, 4)),
        "bigendian": np.array([1.0, -2.5, 3e300], dtype=">f8"),
        "flags": np.array([True, False, True]),
        "half": np.array([1.5, -65504], dtype=np.float16),
        "cplx": np.array([1 + 2j], dtype=np.complex64),
        "scalar": np.uint16(65535)}
for kind in ("savez", "savez_compressed"):
    src = "%s/%s.npz" % (tmp, kind)
    getattr(np, kind)(src, **arrs)
    run("import", src, "-o", "%s/ck_%s" % (tmp, kind), "-q")
    run("export", "%s/ck_%s" % (tmp, kind), "-o", "%s/back_%s.npz" % (tmp, kind), "-q")
    back = np.load("%s/back_%s.npz" % (tmp, kind))
    check(sorted(back.files) == sorted(arrs), "%s: names %r" % (kind, back.files))
    for k, a in arrs.items():
        want = np.array(a, order="C").astype(np.asarray(a).dtype.newbyteorder("<"))
        check(same(back[k], want), "%s: %s round trip %r vs %r" % (kind, k, back[k], want))
np.save(tmp + "/one.npy", np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)))
run("import", tmp + "/one.npy", "-o", tmp + "/ck_one", "--name", "x/y", "-q")
run("export", tmp + "/ck_one", "--format", "npy", "-o", tmp + "/one_dir", "-q")
check(same(np.load(tmp + "/one_dir/x/y.npy"), np.arange(6, dtype="<i4").reshape(2, 3)),
      "single .npy import (Fortran order) round trip")
# object arrays (pickle) are refused, not executed
np.save(tmp + "/obj.npy", np.array([b"a", None], dtype=object), allow_pickle=True)
p = run("import", tmp + "/obj.npy", "-o", tmp + "/ck_obj", ok=False)
check(p.returncode == 1 and "unsupported .npy dtype '|O'" in p.stderr, "object array refused: " + p.stderr)
check(not glob.glob(tmp + "/ck_obj*"), "nothing written for a refused import")

shutil.rmtree(ROOT)
if failures:
    print("%d failure(s)" % failures, file=sys.stderr)
    sys.exit(1)
print("py_convert: all checks passed")
