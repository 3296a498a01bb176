"""The tfckpt Python module (python/tfckptmodule.c) under Debian's python3 + numpy.

Every fixture, every path form: names/dtypes/shapes equal the CLI's `ls --json
--all` and MANIFEST.md; values equal an independent decode (raw bytes of the
data file at the offsets MANIFEST.md gives, read with np.frombuffer) and
MANIFEST.md's sample values; strings/bfloat16/partitioned/V1 specifics; zero-copy
arrays; errors (missing files, flipped bytes, truncations: exceptions, never a
crash); save() round trips; memory stays flat over repeated full reads.
"""
import gc
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

BUILD = os.environ.get("TFCKPT_BUILD", os.path.join(os.path.dirname(__file__), "..", "build"))
PYDIR = os.path.join(BUILD, "python")


def reexec_with_sanitizer_runtimes():
    """A -DTFCKPT_SANITIZE=ON module needs libasan/libubsan loaded first."""
    pre = os.path.join(PYDIR, "sanitizer_preload.txt")
    if not os.path.exists(pre) or os.environ.get("TFCKPT_PY_PRELOADED"):
        return
    libs = open(pre).read().split()
    env = dict(os.environ, TFCKPT_PY_PRELOADED="1",
               TFCKPT_PY_ORIG_PRELOAD=os.environ.get("LD_PRELOAD", ""),
               LD_PRELOAD=" ".join(libs + [os.environ.get("LD_PRELOAD", "")]).strip(),
               # CPython keeps objects alive until exit by design (the last
               # setting wins, so this overrides a detect_leaks=1 from make asan).
               ASAN_OPTIONS=(os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":"),
               TFCKPT_QUICK="1")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


reexec_with_sanitizer_runtimes()
sys.path.insert(0, PYDIR)

import numpy as np  # noqa: E402

try:
    import tfckpt  # noqa: E402
except ImportError as e:
    # Only acceptable when the build had no way to make the module.
    import sysconfig
    if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
        print(f"FAIL: cannot import tfckpt from {PYDIR}: {e}")
        sys.exit(1)
    print(f"SKIP: tfckpt module not built (no Python.h): {e}")
    sys.exit(0)

FIX = os.environ["TFCKPT_FIXTURES"]
BIN = os.environ["TFCKPT_BIN"]
QUICK = os.environ.get("TFCKPT_QUICK") == "1"
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print("FAIL", what)
    return cond


def raises(exc, fn, fragment=None):
    """fn() raises exc (and its message holds fragment); returns the message."""
    try:
        fn()
    except exc as e:
        msg = str(e)
        if fragment is not None and fragment not in msg:
            check(False, f"message {msg!r} lacks {fragment!r}")
        return msg
    except Exception as e:  # wrong type
        check(False, f"expected {exc.__name__}, got {type(e).__name__}: {e}")
        return None
    check(False, f"expected {exc.__name__}, nothing raised")
    return None


def cli_env():
    """The environment without our sanitizer preload (a clang ASan CLI carries
    its own static runtime and refuses a second one)."""
    env = dict(os.environ)
    if env.get("TFCKPT_PY_PRELOADED"):
        env["LD_PRELOAD"] = env.get("TFCKPT_PY_ORIG_PRELOAD", "")
        if not env["LD_PRELOAD"]:
            del env["LD_PRELOAD"]
    return env


def cli_ls(path):
    p = subprocess.run([BIN, "ls", "--json", "--all", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=cli_env())
    return json.loads(p.stdout) if p.returncode == 0 else None


# --------------------------------------------------------------- MANIFEST.md

NP_OF = {"float": "<f4", "double": "<f8", "int32": "<i4", "int64": "<i8", "bool": "?",
         "int8": "i1", "uint8": "u1", "int16": "<i2", "uint16": "<u2", "half": "<f2",
         "float16": "<f2", "complex64": "<c8", "complex128": "<c16", "uint32": "<u4",
         "uint64": "<u8", "float32": "<f4", "float64": "<f8"}
TF_NAME = {"float": "float32", "double": "float64", "half": "float16"}


def parse_manifest():
    """{checkpoint path: {"tensors": {name: (dtype, shape, shard, offset, size)},
    "samples": {name: (count, [tokens])}}} for every listed checkpoint."""
    out = {}
    case = cur = None
    in_block = False
    for line in open(os.path.join(FIX, "MANIFEST.md")):
        line = line.rstrip("\n")
        m = re.match(r"^## `([^`]+)`", line)
        if m:
            case, cur = m.group(1), None
            continue
        m = re.match(r"^Tensors in `([^`]+)`", line)
        if m and case:
            f = m.group(1)
            path = os.path.join(FIX, case, f[:-6] if f.endswith(".index") else f)
            cur = out.setdefault(path, {"tensors": {}, "samples": {}})
            continue
        m = re.match(r"^same names/dtypes/shapes as `([^`]+)`", line)
        if m and cur is not None:
            f = m.group(1)
            src = os.path.join(FIX, case, f[:-6] if f.endswith(".index") else f)
            # offsets may differ between files: keep names/dtypes/shapes only
            cur["tensors"] = {k: v[:2] + (None, None, None)
                              for k, v in out[src]["tensors"].items()}
            continue
        if line.startswith("```"):
            in_block = not in_block
            continue
        if in_block and cur is not None:
            cols = line.split("\t")
            if len(cols) >= 3:
                shape = json.loads(cols[2])
                loc = tuple(int(c) for c in cols[3:6]) if len(cols) >= 6 else (None,) * 3
                cur["tensors"][cols[0]] = (cols[1], shape) + loc
            continue
        m = re.match(r"^- `(.+)`: (\d+): (.*)$", line)
        if m and cur is not None:
            cur["samples"][m.group(1)] = (int(m.group(2)), [t.strip() for t in m.group(3).split(",")])
    return out


MANIFEST = parse_manifest()


def sample_equal(value, tokens):
    flat = np.asarray(value).reshape(-1)
    for i, tok in enumerate(tokens):
        if i >= flat.size:
            return False
        v = flat[i]
        if tok in ("true", "false"):
            if bool(v) != (tok == "true"):
                return False
            continue
        try:
            want = float(tok)
        except ValueError:
            continue  # not a number: not compared here
        # 9 (float32) or 17 (float64) significant digits round-trip exactly
        if np.dtype(flat.dtype) == np.float32:
            ok = np.float32(tok) == v
        else:
            ok = want == v
        if not ok:
            return False
    return True


# ------------------------------------------------------------ fixture checks

def raw_value(prefix, shard, nshards, offset, size, dtype, shape):
    path = f"{prefix}.data-{shard:05d}-of-{nshards:05d}"
    with open(path, "rb") as f:
        f.seek(offset)
        raw = f.read(size)
    return np.frombuffer(raw, dtype=np.dtype(NP_OF[dtype])).reshape(shape)


def same_array(got, want):
    got = np.asarray(got)
    return got.shape == want.shape and got.dtype == want.dtype.newbyteorder("=") and \
        got.tobytes() == want.astype(want.dtype.newbyteorder("=")).tobytes()


def check_reader_against_manifest(path, r, info, label):
    """Names, dtypes, shapes from MANIFEST.md; values from raw bytes + samples."""
    tensors = info["tensors"]
    shapes = r.get_variable_to_shape_map()
    dtypes = r.get_variable_to_dtype_map()
    check(sorted(shapes) == sorted(tensors), f"{label}: names {sorted(shapes)[:3]}... vs manifest")
    nraw = 0
    for name, (dt, shape, shard, offset, size) in tensors.items():
        if name not in shapes:
            continue
        check(shapes[name] == shape, f"{label} {name}: shape {shapes[name]} vs {shape}")
        check(dtypes[name] == TF_NAME.get(dt, dt), f"{label} {name}: dtype {dtypes[name]} vs {dt}")
        check(r.has_tensor(name) and name in r, f"{label} {name}: has_tensor")
        if "missing_data" in label:
            continue
        v = r.get_tensor(name)
        if dt in ("string", "variant"):
            check(isinstance(v, bytes) if shape == [] else
                  (v.dtype == object and all(isinstance(x, bytes) for x in v.flat)),
                  f"{label} {name}: string tensor as bytes")
            continue
        if shard is not None and dt in NP_OF:
            want = raw_value(r.prefix, shard, r.num_shards, offset, size, dt, shape)
            nraw += check(same_array(v, want), f"{label} {name}: value differs from raw bytes")
    for name, (count, toks) in info["samples"].items():
        if "missing_data" in label:
            continue
        v = r.get_tensor(name)
        check(np.size(v) == count, f"{label} {name}: {np.size(v)} elements, manifest {count}")
        check(sample_equal(v, toks), f"{label} {name}: {np.asarray(v).reshape(-1)[:4]} vs {toks}")
    return nraw


def check_cli_agrees(path, label):
    """The module lists exactly what `tfckpt ls --json --all` lists; returns
    how many values were compared with raw bytes at the CLI's offsets."""
    ls = cli_ls(path)
    try:
        r = tfckpt.load_checkpoint(path)
    except (FileNotFoundError, tfckpt.CorruptCheckpointError, ValueError) as e:
        check(ls is None, f"{label}: module raised {e} but the CLI lists it")
        return 0
    check(ls is not None, f"{label}: the CLI fails but the module opens it")
    if ls is None:
        return 0
    shapes, dtypes = r.get_variable_to_shape_map(), r.get_variable_to_dtype_map()
    check(sorted(shapes) == sorted(e["name"] for e in ls), f"{label}: names differ from CLI")
    for e in ls:
        check(shapes.get(e["name"]) == e["shape"] and dtypes.get(e["name"]) == e["dtype"],
              f"{label} {e['name']}: {shapes.get(e['name'])} {dtypes.get(e['name'])} vs CLI {e}")
    lv = tfckpt.list_variables(path)
    check(lv == sorted((e["name"], e["shape"]) for e in ls), f"{label}: list_variables")
    if "missing_data" in label:
        return 0
    n = 0
    # Values: every unpartitioned fixed-size tensor equals its raw bytes at the
    # CLI's offsets.
    for e in ls:
        if e.get("slices") or e["dtype"] not in NP_OF or "offset" not in e:
            continue
        want = raw_value(r.prefix, e["shard"], r.num_shards, e["offset"], e["bytes"],
                         e["dtype"], e["shape"])
        n += check(same_array(r.get_tensor(e["name"]), want), f"{label} {e['name']}: CLI-offset value")
    return n


def path_forms(prefix):
    """Every way to name the V2 checkpoint `prefix`."""
    forms = [prefix, prefix + ".index"] + sorted(glob.glob(prefix + ".data-*"))
    d = os.path.dirname(prefix)
    if os.path.basename(prefix) == "variables" and os.path.basename(d) == "variables":
        forms.append(os.path.dirname(d))  # the SavedModel directory
    return forms


def fixture_checks():
    nraw = ncli = 0
    for ckpt, info in sorted(MANIFEST.items()):
        label = os.path.relpath(ckpt, FIX)
        if "missing_data" in ckpt:
            label += " (missing_data)"
        if os.path.exists(ckpt + ".index"):
            forms = path_forms(ckpt)
        else:
            forms = [ckpt]  # V1 file
        for form in forms:
            flabel = f"{label} via {os.path.relpath(form, FIX)}"
            try:
                r = tfckpt.load_checkpoint(form)
            except NotImplementedError as e:
                print(f"SKIP {flabel}: {e}")
                continue
            check(os.path.realpath(r.prefix) == os.path.realpath(ckpt) or
                  r.prefix.rstrip("*") == ckpt, f"{flabel}: resolved to {r.prefix}")
            n = check_reader_against_manifest(form, r, info, flabel)
            if form == forms[0]:
                nraw += n
            r.close()
            ncli += check_cli_agrees(form, flabel)
    print(f"ok fixtures: {len(MANIFEST)} checkpoints in every path form; {nraw} tensors equal raw bytes "
          f"at MANIFEST offsets, {ncli} (all forms) at the CLI's offsets")

    # Directories: state file / single checkpoint / SavedModel, like the CLI.
    dirs = sorted(d for d in glob.glob(os.path.join(FIX, "*")) + glob.glob(os.path.join(FIX, "spec_synthetic", "*"))
                  if os.path.isdir(d))
    for d in dirs:
        check_cli_agrees(d, os.path.relpath(d, FIX) + "/")
    print(f"ok directories: {len(dirs)} agree with the CLI")

    # Missing data file: listing works, values raise FileNotFoundError.
    r = tfckpt.load_checkpoint(os.path.join(FIX, "index_only_missing_data_td3", "ckpt-10"))
    check(r.get_variable_to_shape_map()["save_counter/.ATTRIBUTES/VARIABLE_VALUE"] == [],
          "missing data: listing")
    raises(FileNotFoundError, lambda: r.get_tensor("save_counter/.ATTRIBUTES/VARIABLE_VALUE"),
           "ckpt-10.data-00000-of-00001")
    # Its state file names ckpt-1, which is gone: TF's latest_checkpoint says None.
    check(tfckpt.latest_checkpoint(os.path.join(FIX, "index_only_missing_data_td3")) is None,
          "latest_checkpoint of a state file naming a deleted checkpoint")


def specific_values():
    syn = os.path.join(FIX, "spec_synthetic")
    r = tfckpt.load_checkpoint(os.path.join(syn, "all_dtypes"))
    check(r.prefix.endswith("all_dtypes/model.ckpt-7") and r.format == 2, "all_dtypes prefix")
    bf = r.get_tensor("bf16/vector")
    check(bf.dtype == np.float32 and bf.tolist() == [1.0, -2.0, float("inf"), 0.333984375],
          f"bf16 as float32: {bf}")
    raw = r.get_tensor("bf16/vector", bfloat16="uint16")
    check(raw.dtype == np.uint16 and raw.tolist() == [0x3F80, 0xC000, 0x7F80, 0x3EAB],
          f"bf16 raw bits: {raw}")
    raises(ValueError, lambda: r.get_tensor("bf16/vector", bfloat16="int8"), "bfloat16=")
    s = r.get_tensor("string/vector")
    check(s.dtype == object and s.shape == (4,) and
          s.tolist() == [b"", b"hello", b"x" * 300, b"\x00\xff"], f"string/vector: {s!r:.80}")
    check(r.get_tensor("string/scalar") == b"scalar string", "string scalar -> bytes")
    e = r.get_tensor("empty/string")
    check(e.dtype == object and e.shape == (0,), "empty string tensor")
    e = r.get_tensor("empty/f32")
    check(e.dtype == np.float32 and e.shape == (0, 5), "empty float tensor")
    check(r.get_tensor("f32/matrix").tolist() == (np.arange(12, dtype=np.float32) / 4).reshape(3, 4).tolist(),
          "f32/matrix values")
    f16 = r.get_tensor("f16/vector")
    check(f16.dtype == np.float16 and f16.tolist() == [1.5, -2.0, 65504.0, 6.103515625e-05], f"f16 {f16}")
    check(r.get_tensor("c64/vector").tolist() == [1 + 2j, -3.5 - 0.25j], "complex64")
    c = r.get_tensor("c128/scalar")
    check(c == 2 - 1j and np.asarray(c).dtype == np.complex128, "complex128 scalar")
    check(r.get_tensor("u64/vector").tolist() == [0, 18446744073709551615], "uint64")
    check(r.get_tensor("bool/vector").tolist() == [True, False, True], "bool")
    g = r.get_tensor("global_step")
    check(g == 7 and isinstance(g, np.int64), f"scalar comes back as a numpy scalar: {type(g)}")
    check(r.get_tensor("i64/scalar") == -(2 ** 62), "int64 scalar")
    check(r.get_variable_to_dtype_map()["bf16/vector"] == "bfloat16", "dtype map keeps bfloat16")
    check(r.get_tensor("i32/matrix").tolist() == [[-3, -2, -1], [0, 1, 2]], "int32 matrix")

    p = os.path.join(syn, "partitioned_sharded", "model.ckpt-100")
    w = tfckpt.load_variable(p, "part/w")
    check(w.shape == (10, 4) and w.dtype == np.float32 and
          np.array_equal(w, np.arange(40, dtype=np.float32).reshape(10, 4)), f"partitioned part/w {w}")
    check(w.flags.writeable, "an assembled tensor is private, writable memory")
    check(np.array_equal(tfckpt.load_variable(p, "part/w:0"), w), "load_variable strips ':0'")
    check(tfckpt.load_variable(p, "b").tolist() == [b"s1", b"s2"], "partitioned_sharded b")
    check(tfckpt.load_variable(p, "a").tolist() == [1, 1, 1], "partitioned_sharded a")
    check(tfckpt.list_variables(p) == [("a", [3]), ("b", [2]), ("part/w", [10, 4])], "list_variables")

    mm = tfckpt.load_checkpoint(os.path.join(syn, "many_multiblock", "model.ckpt"))
    names = mm.get_variable_to_shape_map()
    check(len(names) == 3001 and names["z" * 600000] == [2], "many_multiblock names")
    check(mm.get_tensor("layer_2999/kernel").tolist() == [2999, -2999], "many_multiblock value")

    v1 = os.path.join(syn, "v1_slices", "model.ckpt-5")
    try:
        r1 = tfckpt.load_checkpoint(v1)
        check(r1.format == 1, "V1 format")
        check(np.array_equal(r1.get_tensor("w"), np.arange(12, dtype=np.float32).reshape(4, 3)), "V1 sliced w")
        check(r1.get_tensor("step") == 5 and r1.get_tensor("ids").tolist() == [-1, 0, 7], "V1 step/ids")
        check(r1.get_tensor("names").tolist() == [b"ab", b""], "V1 strings")
    except NotImplementedError as e:
        print(f"SKIP V1 values: {e}")

    it = os.path.join(FIX, "tf2_checkpoint_manager_iterator_variant")
    check(tfckpt.latest_checkpoint(it) == os.path.join(it, "ckpt-40"), "latest_checkpoint ckpt-40")
    check(tfckpt.latest_checkpoint(it + "/") == os.path.join(it, "ckpt-40"), "latest_checkpoint trailing /")
    b = tfckpt.load_variable(it, "net/l1/bias/.ATTRIBUTES/VARIABLE_VALUE")
    check(b[0] == np.float32("0.00276837032"), f"ckpt-40 bias[0] {b[0]}")
    var = tfckpt.load_variable(it, "iterator/.ATTRIBUTES/ITERATOR_STATE")
    check(var.dtype == object and var.shape == (1,) and isinstance(var[0], bytes) and len(var[0]) > 0,
          "variant tensor -> object array of bytes")
    comp = os.path.join(FIX, "tf2_checkpoint_manager_compensator")
    check(tfckpt.latest_checkpoint(comp) == os.path.join(comp, "ckpt-1"), "latest is the state file's, not the highest")
    check(tfckpt.latest_checkpoint(os.path.join(FIX, "v1_acrobot_tf0x")) ==
          os.path.join(FIX, "v1_acrobot_tf0x", "model.ckpt"), "latest_checkpoint V1 file")
    # TF does not retry a stale absolute path by its base name (load_checkpoint does).
    bad = os.path.join(FIX, "v1_serving_bad_half_plus_two")
    check(tfckpt.latest_checkpoint(bad) is None, "latest_checkpoint stale absolute path -> None")
    check(tfckpt.latest_checkpoint(os.path.join(FIX, "savedmodel_gpflow_double")) is None, "no state file -> None")
    check(tfckpt.latest_checkpoint("/nonexistent/dir") is None, "missing dir -> None")
    check(tfckpt.latest_checkpoint(it, "nope") is None, "latest_filename")
    print("ok specific values (dtypes, strings, bfloat16, partitioned, latest_checkpoint)")


def owned_array_checks():
    p = os.path.join(FIX, "tf1_sharded_t2t_transformer")
    r = tfckpt.load_checkpoint(p)
    name = [n for n, s in r.get_variable_to_shape_map().items() if s == [16, 16]][0]
    a = r.get_tensor(name)
    check(a.flags.owndata and a.flags.writeable and a.base is None,
          "get_tensor: the array owns its memory (OWNDATA, writeable, no base)")
    before = a.copy()
    a[0, 0] += 1.0
    check(np.array_equal(r.get_tensor(name), before), "writing the array leaves the checkpoint alone")
    a[0, 0] = before[0, 0]
    del r
    gc.collect()
    check(np.array_equal(a, before), "the array outlives the reader")
    r = tfckpt.load_checkpoint(p)
    b = r.get_tensor(name)
    r.close()
    check(r.closed, "closed flag")
    raises(ValueError, lambda: r.get_tensor(name), "closed")
    check(np.array_equal(b, before), "close() leaves arrays valid")
    with tfckpt.load_checkpoint(p) as r2:
        c = r2.get_tensor(name)
    check(np.array_equal(c, before), "context manager")
    del a, b, c
    gc.collect()

    # tfdf: float32 scalars at odd offsets (1, 5, 9, 13) after a bool.
    tf = tfckpt.load_checkpoint(os.path.join(FIX, "savedmodel_tfdf_bool"))
    ls = cli_ls(os.path.join(FIX, "savedmodel_tfdf_bool"))
    odd = [e for e in ls if e["dtype"] == "float32" and e.get("offset", 0) % 4]
    check(len(odd) > 0, "tfdf has misaligned floats")
    for e in odd:
        arr = tf.get_tensor(e["name"])  # numpy scalar for rank 0
        check(float(arr) == float(raw_value(tf.prefix, e["shard"], tf.num_shards, e["offset"], 4, "float32", [])),
              f"misaligned {e['name']}")
    ls_all = cli_ls(os.path.join(FIX, "tf1_sharded_t2t_transformer"))
    mis = [e for e in ls_all if e["dtype"] == "float32" and e["shape"] and e["offset"] % 4]
    r = tfckpt.load_checkpoint(p)
    for e in mis[:3]:
        v = r.get_tensor(e["name"])
        check(v.flags.aligned and v.sum() == raw_value(r.prefix, e["shard"], r.num_shards, e["offset"],
                                                       e["bytes"], "float32", e["shape"]).sum(),
              f"stored at an odd offset, read into an aligned array: {e['name']}")
    print("ok arrays own their memory (writeable, outlive the reader, aligned even for odd offsets)")


def threads_check():
    p = os.path.join(FIX, "tf1_sharded_t2t_transformer")
    r = tfckpt.load_checkpoint(p)
    names = sorted(r.get_variable_to_shape_map())
    want = {n: np.asarray(r.get_tensor(n)).tobytes() for n in names}
    bad = []

    def work():
        for n in names:
            if np.asarray(r.get_tensor(n)).tobytes() != want[n]:
                bad.append(n)
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(not bad, f"concurrent reads agree: {bad[:3]}")

    # close() while other threads read: each read succeeds or says "closed".
    for _ in range(5 if QUICK else 20):
        r = tfckpt.load_checkpoint(p)
        outcome = {"ok": 0, "closed": 0, "other": []}

        def reader_loop():
            for n in names:
                try:
                    v = r.get_tensor(n)
                    if np.asarray(v).tobytes() != want[n]:
                        outcome["other"].append(n)
                    outcome["ok"] += 1
                except ValueError as e:
                    if "closed" not in str(e):
                        outcome["other"].append(str(e))
                    outcome["closed"] += 1
        ts = [threading.Thread(target=reader_loop) for _ in range(3)]
        for t in ts:
            t.start()
        r.close()
        for t in ts:
            t.join()
        check(not outcome["other"], f"close during reads: {outcome['other'][:2]}")
    print("ok 4 threads reading one reader; close() during reads")


# ------------------------------------------------------------ error handling

def error_checks(tmp):
    raises(FileNotFoundError, lambda: tfckpt.load_checkpoint(os.path.join(tmp, "nothing")), "no checkpoint found")
    raises(FileNotFoundError, lambda: tfckpt.list_variables(os.path.join(tmp, "nothing")))
    raises(FileNotFoundError, lambda: tfckpt.load_variable(os.path.join(tmp, "nothing"), "x"))
    raises(ValueError, lambda: tfckpt.load_checkpoint(""), "empty")
    raises(TypeError, lambda: tfckpt.load_checkpoint(5))
    syn = os.path.join(FIX, "spec_synthetic", "all_dtypes")
    r = tfckpt.load_checkpoint(syn)
    msg = raises(KeyError, lambda: r.get_tensor("f32/matrx"), "did you mean")
    check(msg is not None and "f32/matrix" in msg, f"suggestion in {msg}")
    check(not r.has_tensor("f32/matrx") and "f32/matrx" not in r, "has_tensor false")
    raises(KeyError, lambda: tfckpt.load_variable(syn, "nope:0"))

    # Checkpoints allow TensorFlow's 254 dimensions, numpy far fewer: a clear
    # ValueError naming the limit (the shape itself is still listed).
    deep_npy = os.path.join(tmp, "deep.npy")
    hdr = "{'descr': '<i4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(["1"] * 100)
    hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
    with open(deep_npy, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode() +
                (7).to_bytes(4, "little"))
    deep = os.path.join(tmp, "deep")
    p = subprocess.run([BIN, "import", deep_npy, "-o", deep], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=cli_env())
    if check(p.returncode == 0, f"import of a rank-100 .npy: {p.stderr}"):
        r = tfckpt.load_checkpoint(deep)
        check(r.get_variable_to_shape_map().get("deep") == [1] * 100, "rank-100 shape listed")
        raises(ValueError, lambda: r.get_tensor("deep"), "NPY_MAXDIMS")

    # A copy with one flipped byte in the data file: CRC mismatch on read.
    src = os.path.join(FIX, "tf1_sharded_t2t_transformer")
    dst = os.path.join(tmp, "t2t")
    shutil.copytree(src, dst)
    ls = cli_ls(dst)
    victim = max((e for e in ls if e["shard"] == 1), key=lambda e: e["bytes"])
    data = os.path.join(dst, "model.ckpt-1.data-00001-of-00002")
    with open(data, "r+b") as f:
        f.seek(victim["offset"] + victim["bytes"] // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0x10]))
    r = tfckpt.load_checkpoint(dst)
    raises(tfckpt.CorruptCheckpointError, lambda: r.get_tensor(victim["name"]), "checksum")
    other = [e for e in ls if e["name"] != victim["name"]][0]
    check(np.asarray(r.get_tensor(other["name"])).size == other["elements"], "other tensors still readable")
    check(issubclass(tfckpt.CorruptCheckpointError, Exception), "CorruptCheckpointError is an Exception")

    # Mutated and truncated indexes/data files: exceptions, never a crash.
    base = os.path.join(FIX, "tf2_checkpoint_manager_iterator_variant")
    good_index = open(os.path.join(base, "ckpt-40.index"), "rb").read()
    good_data = open(os.path.join(base, "ckpt-40.data-00000-of-00001"), "rb").read()
    work = os.path.join(tmp, "mut")
    os.mkdir(work)
    prefix = os.path.join(work, "ckpt-40")
    allowed = (tfckpt.CorruptCheckpointError, ValueError, FileNotFoundError, NotImplementedError,
               KeyError, OSError, MemoryError)
    step = 7 if QUICK else 1
    outcomes = {}

    def attempt(index, data):
        open(prefix + ".index", "wb").write(index)
        open(prefix + ".data-00000-of-00001", "wb").write(data)
        try:
            rr = tfckpt.load_checkpoint(prefix)
            for n in rr.get_variable_to_shape_map():
                rr.get_tensor(n)
            outcomes["ok"] = outcomes.get("ok", 0) + 1
        except allowed as e:
            outcomes[type(e).__name__] = outcomes.get(type(e).__name__, 0) + 1
    for i in range(0, len(good_index), step):
        m = bytearray(good_index)
        m[i] ^= 0xFF
        attempt(bytes(m), good_data)
    for n in range(0, len(good_index), max(1, step * 5)):
        attempt(good_index[:n], good_data)
    for n in range(0, len(good_data), max(1, step * 11)):
        attempt(good_index, good_data[:n])
    for i in range(0, len(good_data), max(1, step * 3)):
        m = bytearray(good_data)
        m[i] ^= 0x01
        attempt(good_index, bytes(m))
    check(outcomes.get("CorruptCheckpointError", 0) > 0, f"corruption detected: {outcomes}")
    print(f"ok errors: missing, bad names, flipped byte -> CorruptCheckpointError; "
          f"{sum(outcomes.values())} mutated files: {outcomes}")


# ------------------------------------------------------------------- writing

def writer_available(tmp):
    try:
        tfckpt.save({"x": np.zeros(1, np.float32)}, os.path.join(tmp, "probe", "p"))
        return True
    except NotImplementedError as e:
        print(f"SKIP save tests: {e}")
        return False


def save_checks(tmp):
    d = os.path.join(tmp, "save")
    os.mkdir(d)
    rng = np.random.default_rng(1)
    tensors = {
        "f32": rng.standard_normal((3, 5)).astype(np.float32),
        "f64": np.array([1e-300, -2.5, np.inf]),
        "f16": np.array([1.5, -2, 65504], np.float16),
        "i8": np.array([-128, 0, 127], np.int8),
        "u8": np.array([0, 200, 255], np.uint8),
        "i16": np.array([-32768, 32767], np.int16),
        "u16": np.array([0, 65535], np.uint16),
        "i32": np.arange(-3, 3, dtype=np.int32).reshape(2, 3),
        "u32": np.array([0, 4294967295], np.uint32),
        "i64": np.int64(-(2 ** 62)),
        "u64": np.array([0, 2 ** 64 - 1], np.uint64),
        "bool": np.array([True, False, True]),
        "c64": np.array([1 + 2j, -3.5 - 0.25j], np.complex64),
        "c128": np.complex128(2 - 1j),
        "big_endian": np.array([1, 2, 3], dtype=">i4"),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "strided": np.arange(10, dtype=np.int64)[::2],
        "empty": np.zeros((0, 4), np.float32),
        "str/bytes": np.array([b"", b"hello", b"\x00\xff", b"x" * 300], dtype=object),
        "str/unicode": np.array(["a", "\u00e9t\u00e9"]),
        "str/scalar": b"scalar",
        "py/int": 7,
        "py/list": [[1.0, 2.0], [3.0, 4.0]],
    }
    prefix = os.path.join(d, "model.ckpt-3")
    check(tfckpt.save(tensors, prefix) == prefix, "save returns the prefix")
    r = tfckpt.load_checkpoint(prefix)
    check(sorted(r.get_variable_to_shape_map()) == sorted(tensors), "saved names")
    for name, v in tensors.items():
        got = r.get_tensor(name)
        if name.startswith("str/"):
            want = np.asarray(v, dtype=object)
            want = np.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(want) \
                if want.size else want
            ok = (got == want.reshape(()).item()) if np.ndim(v) == 0 else got.tolist() == want.tolist()
            check(ok, f"round trip {name}: {got!r:.60}")
            continue
        want = np.asarray(v)
        g = np.asarray(got)
        check(g.shape == want.shape and np.array_equal(g, want) and
              g.dtype == want.dtype.newbyteorder("="), f"round trip {name}: {g!r:.60} vs {want!r:.60}")
    dm = r.get_variable_to_dtype_map()
    check(dm["py/int"] == "int64" and dm["str/unicode"] == "string" and dm["big_endian"] == "int32",
          f"saved dtypes {dm}")
    ls = cli_ls(prefix)
    check(ls is not None and len(ls) == len(tensors), "the CLI reads the saved checkpoint")

    # Sharded + state file -> latest_checkpoint
    p2 = os.path.join(d, "ckpt-9")
    tfckpt.save({"a": np.arange(4.0), "b": np.ones(3, np.int32)}, p2, num_shards=2, update_state=True)
    check(tfckpt.latest_checkpoint(d) == p2, f"update_state: latest is {tfckpt.latest_checkpoint(d)}")
    r2 = tfckpt.load_checkpoint(d)
    check(r2.num_shards == 2 and r2.get_tensor("a").tolist() == [0, 1, 2, 3], "sharded save")

    # Overwrite is atomic: a failing save leaves the old checkpoint intact and no debris.
    listing = sorted(os.listdir(d))
    raises(ValueError, lambda: tfckpt.save({"ok": np.ones(2), "bad": np.array(["2020-01-01"], "datetime64[D]")}, p2),
           "bad")
    raises(ValueError, lambda: tfckpt.save({"bad": np.array([1, "x", 2.0], dtype=object)}, p2), "bad")
    raises(TypeError, lambda: tfckpt.save({1: np.ones(2)}, p2))
    raises(TypeError, lambda: tfckpt.save([1, 2], p2))

    class BadItems:
        def items(self):
            return iter([("ok", np.ones(2)), 5])
    raises(TypeError, lambda: tfckpt.save(BadItems(), p2), "pairs")
    check(sorted(os.listdir(d)) == listing, f"failed saves leave no files: {sorted(os.listdir(d))}")
    check(tfckpt.load_checkpoint(p2).get_tensor("a").tolist() == [0, 1, 2, 3], "old checkpoint intact")
    p3 = os.path.join(tmp, "new", "sub", "dir", "p")
    tfckpt.save({"a": np.ones(1)}, p3)
    check(tfckpt.load_variable(p3, "a").tolist() == [1.0], "save creates the directory")

    class Lazy:  # any object with items(); consumed one pair at a time
        def items(self):
            for i in range(3):
                yield f"t{i}", np.full(2, i, np.int32)
    p4 = os.path.join(d, "lazy")
    tfckpt.save(Lazy(), p4)
    check([tfckpt.load_variable(p4, f"t{i}").tolist() for i in range(3)] == [[0, 0], [1, 1], [2, 2]],
          "save from an items() generator")
    a_file = os.path.join(d, "model.ckpt-3.index")
    raises(OSError, lambda: tfckpt.save({"a": np.ones(1)}, os.path.join(a_file, "p")))
    print(f"ok save: {len(tensors)} tensors of every dtype round trip; sharded; state file; atomic failure")


def rss_kib():
    vals = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon"):
            vals[k] = int(v.split()[0])
    return vals


def memory_check(tmp):
    mb = 16 if QUICK else 128
    d = os.path.join(tmp, "mem")
    os.mkdir(d)
    rng = np.random.default_rng(2)
    per = 4 << 20
    tensors = {f"layer_{i:03d}/kernel": rng.standard_normal(per // 4, dtype=np.float32).reshape(-1, 256)
               for i in range(mb // 4)}
    tensors["tail/bf16"] = np.zeros(10, np.uint16)  # stored as uint16: a copy path too
    tensors["tail/strings"] = np.array([b"abc"] * 1000, dtype=object)
    prefix = os.path.join(d, "big")
    tfckpt.save(tensors, prefix)
    del tensors
    gc.collect()

    def one_round():
        r = tfckpt.load_checkpoint(prefix)
        total = 0.0
        for n in r.get_variable_to_shape_map():
            v = r.get_tensor(n)
            if isinstance(v, np.ndarray) and v.dtype == np.float32:
                total += float(v[0, 0])
                total += float(np.array(v)[-1, -1])  # a private copy, freed at once
        r.close()
        return total
    first = one_round()
    gc.collect()
    start = rss_kib()
    for _ in range(19):
        check(one_round() == first, "same values each round")
    gc.collect()
    end = rss_kib()
    grow = {k: end[k] - start[k] for k in start}
    if os.environ.get("TFCKPT_PY_PRELOADED"):
        # ASan's quarantine keeps freed memory resident: RSS says nothing there.
        print(f"(sanitizer build: RSS bound not checked, growth {grow} KiB)")
    else:
        check(grow["VmRSS"] < 8 * 1024 and grow.get("RssAnon", 0) < 8 * 1024,
              f"RSS grew by {grow} KiB over 19 full reads of {mb} MiB")
    print(f"ok memory: 20 full reads of a {mb} MiB checkpoint, RSS growth {grow} KiB")


def main():
    fixture_checks()
    specific_values()
    owned_array_checks()
    threads_check()
    with tempfile.TemporaryDirectory(prefix="tfckpt_py_") as tmp:
        error_checks(tmp)
        if writer_available(tmp):
            save_checks(tmp)
            memory_check(tmp)
    print(f"{checks} checks, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
