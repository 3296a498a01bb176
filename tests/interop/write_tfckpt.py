"""tfckpt side of "tfckpt -> TensorFlow" (run under /usr/bin/python3): writes
checkpoints every way tfckpt writes them (Python `save` of every numpy dtype,
`import` of npz/npy/safetensors, `rewrite` (V2 and V1 -> V2), `rename`, `rm`,
`cast`, `average`, `merge`, `set`, `train` with each optimizer, `--shards N`,
`--update-state`) into OUT/ck/ and records in OUT/ck/cases.json what each
holds: the values tfckpt was asked to write (independent numpy expectations
where there is one) and what tfckpt itself reports (`verify --hash`,
`ls --json --all`).  verify_tf.py then reads every one with TensorFlow."""
import json, os, struct, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ["TFCKPT_BUILD"], "python"))
import numpy as np
import tfckpt
from common import Results, digest, read_json, write_json

OUT = sys.argv[1]
CK = os.path.join(OUT, "ck")
TFC = {c["case"]: c for c in read_json(os.path.join(OUT, "tf", "cases.json"))["cases"]}
BIN = os.environ["TFCKPT_BIN"]
res = Results("tfckpt-write")
rng = np.random.default_rng(7)
cases = []
OG = "_CHECKPOINTABLE_OBJECT_GRAPH"


def cli(*args, check=True):
    p = subprocess.run([BIN, *[str(a) for a in args]], capture_output=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"tfckpt {' '.join(map(str, args))}: exit {p.returncode}: {p.stderr.decode()[-800:]}")
    return p.stdout.decode("utf-8", "replace")


def reported(path):
    """What tfckpt says a checkpoint holds: ls --json --all + verify --hash."""
    items = json.loads(cli("ls", "--json", "--all", path))
    h = {}
    for line in cli("verify", "--hash", path).splitlines():
        if line.strip():
            d, n = line.split("  ", 1)
            h[n] = d
    return {i["name"]: {"dtype": i["dtype"], "shape": i["shape"], "sha256": h.get(i["name"])} for i in items}


def add(case, path, expect=None, **extra):
    """expect: {name: (dtype, shape, sha256)} tfckpt was asked to write; it
    must equal what tfckpt reports, and TF must read exactly that."""
    rep = reported(path)
    if expect is not None:
        exp = {n: {"dtype": d, "shape": list(s), "sha256": h} for n, (d, s, h) in expect.items()}
        res.equal(f"{case}: tfckpt reports what it was asked to write ({len(exp)})",
                  {n: rep.get(n) for n in exp}, exp)
        res.equal(f"{case}: no other tensors", sorted(rep), sorted(exp))
    c = {"case": case, "path": path, "tensors": rep}
    c.update(extra)
    cases.append(c)


def expect_of(arrs, dtypes):
    return {n: (dtypes[n], list(np.shape(a)), digest(a, dtypes[n])) for n, a in arrs.items()}


def ck(*parts):
    p = os.path.join(CK, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def tf_ref(case):
    return {n: (e["dtype"], e["shape"], e.get("sha256")) for n, e in TFC[case]["tensors"].items()}


# ------------------------------------------------------------------ save
def every_numpy_dtype():
    a, dt = {}, {}
    def put(n, v, d):
        a[n], dt[n] = v, d
    for t in (np.float16, np.float32, np.float64):
        v = rng.standard_normal((3, 4)).astype(t)
        v.flat[:4] = [np.nan, -np.inf, -0.0, np.finfo(t).tiny / 2]
        put(np.dtype(t).name + "/m", v, np.dtype(t).name)
    for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64):
        i = np.iinfo(t)
        v = rng.integers(i.min, i.max, (2, 5), dtype=t, endpoint=True)
        v[0, 0], v[0, 1] = i.min, i.max
        put(np.dtype(t).name + "/m", v, np.dtype(t).name)
    put("bool/v", rng.integers(0, 2, 9).astype(bool), "bool")
    put("complex64/v", (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64), "complex64")
    put("complex128/v", np.array([complex(np.nan, -0.0), 1 + 2j]), "complex128")
    big = bytes(rng.integers(0, 256, (1 << 20) + 3, dtype=np.uint8))
    put("string/v", np.array([b"", b"a\x00b", big, b"\xff"], dtype=object), "string")
    put("string/scalar", b"tf\x00ckpt", "string")
    put("string/str", "h\u00e9llo", "string")
    put("string/S_array", np.array([[b"ab", b"c"], [b"", b"\x00z"]], dtype="S2"), "string")
    put("string/U_array", np.array(["\u00e9t\u00e9", "", "x"]), "string")
    put("scalar/int64", np.int64(-7), "int64")
    put("scalar/pyint", 123456789012, "int64")
    put("scalar/pyfloat", 0.1, "float64")
    put("scalar/f32", np.float32(2.5), "float32")
    put("empty/f32", np.zeros((0, 3), np.float32), "float32")
    put("empty/string", np.zeros((2, 0), dtype=object), "string")
    put("rank6/f64", rng.standard_normal((1, 2, 1, 3, 1, 2)), "float64")
    put("rank7/u8", rng.integers(0, 255, (2, 1, 2, 1, 2, 1, 2)).astype(np.uint8), "uint8")
    put("noncontig/f32", rng.standard_normal((6, 4)).astype(np.float32)[::2, ::-1], "float32")
    put("bigendian/i32", np.arange(6, dtype=">i4").reshape(2, 3), "int32")
    return a, dt


def case_save():
    a, dt = every_numpy_dtype()
    exp = {}
    for n, v in a.items():
        if isinstance(v, str):
            exp[n] = (dt[n], [], digest(v.encode(), "string"))
        elif isinstance(v, np.ndarray) and v.dtype.kind == "U":
            exp[n] = (dt[n], list(v.shape), digest(np.array([e.encode() for e in v.flat], dtype=object), "string"))
        elif isinstance(v, (int, float, bytes)):
            exp[n] = (dt[n], [], digest(np.asarray(v) if not isinstance(v, bytes) else v, dt[n]))
        else:
            exp[n] = (dt[n], list(np.shape(v)), digest(np.ascontiguousarray(v).astype(np.asarray(v).dtype.newbyteorder("<")) if dt[n] != "string" else v, dt[n]))
    p = tfckpt.save(a, ck("save", "all.ckpt"))
    add("py_save_dtypes", p, exp, saver=True)
    # three saves with 3 shards, update_state and max_to_keep=2
    d = os.path.join(CK, "save_state")
    for step in (1, 2, 3):
        arrs = {"w": np.full((4, 4), step, np.float32), "global_step": np.int64(step)}
        p = tfckpt.save(arrs, os.path.join(d, f"model.ckpt-{step}"), num_shards=3, update_state=True, max_to_keep=2)
    add("py_save_shards_state", p, expect_of(arrs, {"w": "float32", "global_step": "int64"}),
        state_dir=d, want_latest=p, want_all=[os.path.join(d, "model.ckpt-2"), p], shards=3, saver=True)


# ------------------------------------------------------------------ import
def write_safetensors(path, arrs):
    header, off, blobs = {}, 0, []
    names = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64",
             np.dtype("uint8"): "U8", np.dtype("float16"): "F16", np.dtype("int32"): "I32", np.dtype("bool"): "BOOL"}
    for n, a in arrs.items():
        b = np.ascontiguousarray(a).tobytes()
        header[n] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def case_import():
    arrs = {"dense/kernel": rng.standard_normal((5, 3)).astype(np.float32), "dense/bias": np.zeros(3, np.float64),
            "step": np.array(9, np.int64), "mask": rng.integers(0, 2, (2, 2)).astype(bool),
            "h": rng.standard_normal(7).astype(np.float16), "e": np.zeros((0,), np.int32), "u": np.arange(5, dtype=np.uint8)}
    dts = {n: a.dtype.name for n, a in arrs.items()}
    npz = ck("import", "in.npz")
    np.savez(npz, **arrs)
    add("import_npz", cli_import(npz, ck("import", "npz.ckpt")), expect_of(arrs, dts), saver=True)
    npy = ck("import", "k.npy")
    np.save(npy, arrs["dense/kernel"])
    out = ck("import", "npy.ckpt")
    cli("import", npy, "-o", out, "--name", "dense/kernel", "-q")
    add("import_npy", out, expect_of({"dense/kernel": arrs["dense/kernel"]}, dts), saver=True)
    st = ck("import", "in.safetensors")
    write_safetensors(st, arrs)
    add("import_safetensors", cli_import(st, ck("import", "st.ckpt")), expect_of(arrs, dts), saver=True)
    return arrs


def cli_import(src, out):
    cli("import", src, "-o", out, "-q")
    return out


# ------------------------------------------------------------------ edits
def case_edits():
    src = TFC["tf1_saver_v2"]["path"]
    ref = tf_ref("tf1_saver_v2")
    sess = TFC["tf1_saver_v2"]["session"]
    full = {n: (d, s, h if h else sess.get(n)) for n, (d, s, h) in ref.items()}
    out = ck("rewrite", "model.ckpt-7")
    cli("rewrite", src, out, "-q")
    add("rewrite_v2", out, full, saver=True)
    out = ck("rewrite_shards", "model.ckpt-7")
    cli("rewrite", src, out, "--shards", "3", "-q")
    add("rewrite_shards3", out, full, saver=True, shards=3)
    d = os.path.join(CK, "update_state")
    for step in (7, 8):
        cli("rewrite", src, ck("update_state", f"model.ckpt-{step}"), "--update-state", "-q")
    add("rewrite_update_state", os.path.join(d, "model.ckpt-8"), full, state_dir=d,
        want_latest=os.path.join(d, "model.ckpt-8"), want_all=[os.path.join(d, f"model.ckpt-{s}") for s in (7, 8)], saver=True)
    for case in ("tf1_saver_v1", "tf1_saver_v1_sharded"):
        r = tf_ref(case)
        s = TFC[case]["session"]
        exp = {n: (dt, sh, s[n]) for n, (dt, sh, h) in r.items()}
        out = ck("v1_to_v2_" + case, "model.ckpt-7")
        cli("rewrite", TFC[case]["tfckpt_path"], out, "-q")
        add("rewrite_" + case + "_to_v2", out, exp, saver=True)
    out = ck("rename", "model.ckpt-7")
    cli("rename", src, out, "--rule", "dense/=>model/dense/", "--regex", "^(emb)/table$=>\\1/embeddings", "-q")
    ren = {("model/" + n if n.startswith("dense/") else "emb/embeddings" if n == "emb/table" else n): v for n, v in full.items()}
    add("rename", out, ren, saver=True)
    out = ck("rm", "model.ckpt-7")
    cli("rm", src, out, "global_step", "--regex", "^big/", "-q")
    add("rm", out, {n: v for n, v in full.items() if n not in ("global_step", "big/w")}, saver=True)
    r = tfckpt.load_checkpoint(src)
    out = ck("cast16", "model.ckpt-7")
    # not the partitioned ones: TF 2.21 cannot read a partitioned float16
    # variable ("Dtype half not supported"), see docs/interop.md
    cli("cast", src, out, "--to", "float16", "--regex", "^dense/", "-q")
    exp = {}
    for n, (dt, sh, h) in full.items():
        if dt in ("float32", "float64") and n.startswith("dense/"):
            exp[n] = ("float16", sh, digest(np.asarray(r.get_tensor(n)).astype(np.float16), "float16"))
        else:
            exp[n] = (dt, sh, h)
    add("cast_float16", out, exp, saver=True)
    out = ck("castbf16", "model.ckpt-7")
    cli("cast", src, out, "--to", "bfloat16", "--regex", "^dense/kernel$", "-q")
    k = np.asarray(r.get_tensor("dense/kernel"), np.float32).view(np.uint32).astype(np.uint64)
    bf = ((k + 0x7FFF + ((k >> 16) & 1)) >> 16).astype(np.uint16)
    exp = dict(full)
    exp["dense/kernel"] = ("bfloat16", full["dense/kernel"][1], digest(bf, "bfloat16"))
    add("cast_bfloat16", out, exp, saver=True)
    # set: replace one tensor and add one
    new = rng.standard_normal((5, 3)).astype(np.float32)
    np.save(ck("set", "k.npy"), new)
    out = ck("set", "model.ckpt-7")
    cli("set", src, out, "dense/kernel", ck("set", "k.npy"), "-q")
    exp = dict(full)
    exp["dense/kernel"] = ("float32", [5, 3], digest(new, "float32"))
    add("set_replace", out, exp, saver=True)
    np.save(ck("set", "extra.npy"), np.arange(4, dtype=np.int64))
    out2 = ck("set", "added.ckpt")
    cli("set", out, out2, "extra/ids", ck("set", "extra.npy"), "-q")
    exp["extra/ids"] = ("int64", [4], digest(np.arange(4, dtype=np.int64), "int64"))
    add("set_add", out2, exp, saver=True)
    # merge two checkpoints tfckpt saved
    a = {"a/w": rng.standard_normal((2, 2)).astype(np.float32), "shared": np.int64(1)}
    b = {"b/w": rng.standard_normal(3), "shared": np.int64(2)}
    pa = tfckpt.save(a, ck("merge", "a.ckpt"))
    pb = tfckpt.save(b, ck("merge", "b.ckpt"), num_shards=2)
    out = ck("merge", "merged.ckpt")
    cli("merge", out, pa, pb, "--prefer", "last", "-q")
    m = {"a/w": a["a/w"], "b/w": b["b/w"], "shared": b["shared"]}
    add("merge", out, expect_of(m, {"a/w": "float32", "b/w": "float64", "shared": "int64"}), saver=True)
    # average of three saves
    xs = [rng.standard_normal((3, 3)).astype(np.float32) for _ in range(3)]
    ps = [tfckpt.save({"w": x, "step": np.int64(i)}, ck("average", f"in-{i}")) for i, x in enumerate(xs)]
    out = ck("average", "avg")
    cli("average", out, *ps, "-q")
    mean = (xs[0].astype(np.float64) + xs[1] + xs[2]) / 3
    add("average", out, expect_of({"w": mean.astype(np.float32), "step": np.int64(2)}, {"w": "float32", "step": "int64"}), saver=True)


# ------------------------------------------------------------------ TF2 object checkpoints edited (item 4)
def case_objgraph_edits():
    src = TFC["tf2_module_save"]["path"]
    k = lambda path: path + "/.ATTRIBUTES/VARIABLE_VALUE"
    r = tfckpt.load_checkpoint(src)
    jobs = []
    out = ck("obj_rename", "ckpt")
    cli("rename", src, out, "--rule", "model/enc/=>model/encoder/", "-q")
    jobs.append(("obj_rename", out, {"renamed": {k("model/enc/w"): k("model/encoder/w"), k("model/enc/b"): k("model/encoder/b")}}))
    out = ck("obj_rm", "ckpt")
    cli("rm", src, out, k("extra"), "-q")
    jobs.append(("obj_rm", out, {"removed": [k("extra")]}))
    out = ck("obj_cast", "ckpt")
    cli("cast", src, out, "--to", "float16", "--regex", "^model/layers/0/", "-q")
    jobs.append(("obj_cast", out, {"cast": {k("model/layers/0/w"): "float16", k("model/layers/0/b"): "float16"}}))
    new = rng.standard_normal((3, 2)).astype(np.float32)
    np.save(ck("obj_set", "w.npy"), new)
    out = ck("obj_set", "ckpt")
    cli("set", src, out, k("model/enc/w"), ck("obj_set", "w.npy"), "-q")
    jobs.append(("obj_set", out, {"set": {k("model/enc/w"): digest(new, "float32")}}))
    out = ck("obj_average", "ckpt")
    cli("average", out, src, src, "-q")
    jobs.append(("obj_average", out, {}))
    out = ck("obj_merge", "ckpt")
    extra = tfckpt.save({"other/v": np.arange(3, dtype=np.float32)}, ck("obj_merge", "extra"))
    cli("merge", out, src, extra, "-q")
    jobs.append(("obj_merge", out, {"added": ["other/v"]}))
    for case, path, info in jobs:
        add(case, path, None, objgraph=info, source="tf2_module_save")
    # strip the optimizer slots of a TF1-optimizer object checkpoint
    src = TFC["tf2_slots"]["path"]
    out = ck("obj_rm_slots", "ckpt")
    cli("rm", src, out, "--regex", "OPTIMIZER_SLOT", "-q")
    gone = [n for n in TFC["tf2_slots"]["tensors"] if "OPTIMIZER_SLOT" in n]
    res.check(f"obj_rm_slots: the source has slot variables ({len(gone)})", len(gone) >= 4)
    add("obj_rm_slots", out, None, objgraph={"removed": gone, "no_slots": True}, source="tf2_slots")
    out = ck("obj_rm_var", "ckpt")
    cli("rm", src, out, "--regex", "^model/b/", "-q")
    gone = [n for n in TFC["tf2_slots"]["tensors"] if n.startswith("model/b/")]
    add("obj_rm_var", out, None, objgraph={"removed": gone, "slot_of_removed": True}, source="tf2_slots")


# ------------------------------------------------------------------ train
def make_data():
    n, f = 600, 5
    x = rng.standard_normal((n, f)) * [1, 2, 0.5, 3, 1] + [0, 5, -1, 2, 0]
    w = rng.standard_normal((f, 3))
    y = np.argmax((x - [0, 5, -1, 2, 0]) @ w + 0.3 * rng.standard_normal((n, 3)), axis=1)
    def write(path, xs, ys):
        with open(path, "w") as fh:
            fh.write(",".join(f"f{i}" for i in range(f)) + ",label\n")
            for row, lab in zip(xs, ys):
                fh.write(",".join(repr(float(v)) for v in row) + f",{lab}\n")
    tr, te = ck("train", "train.csv"), ck("train", "test.csv")
    write(tr, x[:480], y[:480])
    write(te, x[480:], y[480:])
    return tr, te


def case_train():
    tr, te = make_data()
    for opt, extra in [("sgd", []), ("momentum", ["--nesterov"]), ("adam", [])]:
        out = ck("train", opt)
        os.makedirs(out, exist_ok=True)
        cli("train", "--data", tr, "--label", "label", "--layers", "16,8", "--activation", "tanh",
            "--optimizer", opt, *extra, "--epochs", "5", "--batch-size", "32", "--threads", "1",
            "--save-every", "20", "--keep", "2", "--out", out)
        pred = ck("train", opt + "-pred.csv")
        cli("predict", "--model", out, "--data", te, "-o", pred, "--threads", "1")
        model = read_json(os.path.join(out, "model.json"))
        latest = tfckpt.latest_checkpoint(out)
        add("train_" + opt, latest, None, state_dir=out, want_latest=latest, saver=True,
            train={"model_json": model, "test": te, "pred": pred, "optimizer": opt})


def main():
    os.makedirs(CK, exist_ok=True)
    for fn in (case_save, case_import, case_edits, case_objgraph_edits, case_train):
        try:
            fn()
        except Exception as ex:
            import traceback
            traceback.print_exc()
            res.check(f"{fn.__name__} ran", False, repr(ex)[:800])
    write_json(os.path.join(CK, "cases.json"), {"cases": cases})
    print(f"write_tfckpt: {len(cases)} checkpoints written by tfckpt", flush=True)
    res.finish()


if __name__ == "__main__":
    main()
