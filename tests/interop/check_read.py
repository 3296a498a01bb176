"""tfckpt side of "TensorFlow -> tfckpt" (run under /usr/bin/python3 with the
project's module): for every checkpoint gen_tf.py wrote, tfckpt's CLI
(`ls --json`, `verify`, `verify --hash`, `export` npz) and Python module
(`load_checkpoint`, `get_variable_to_shape_map`, `get_variable_to_dtype_map`,
`get_tensor`) must agree exactly with what tf.train.load_checkpoint read.
Also the corruption verdicts and the reading API's semantics (api.json)."""
import json, os, pathlib, re, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ["TFCKPT_BUILD"], "python"))
import numpy as np
import tfckpt
from common import Results, digest, read_json

OUT = sys.argv[1]
TF = os.path.join(OUT, "tf")
BIN = os.environ["TFCKPT_BIN"]
OG = "_CHECKPOINTABLE_OBJECT_GRAPH"
res = Results("tf->tfckpt")


def cli(*args):
    p = subprocess.run([BIN, *args], capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def hashes(out):
    h = {}
    for line in out.splitlines():
        if line.strip():
            digest_, name = line.split("  ", 1)
            h[name] = digest_
    return h


def check_case(c):
    case, path, ref = c["case"], c["tfckpt_path"], c["tensors"]
    readable = {n: e for n, e in ref.items() if "sha256" in e}
    # -------- module
    try:
        r = tfckpt.load_checkpoint(path)
    except Exception as ex:
        res.check(f"{case}: module load_checkpoint", False, repr(ex))
        return
    smap, dmap = r.get_variable_to_shape_map(), r.get_variable_to_dtype_map()
    res.equal(f"{case}: module names ({len(ref)})", sorted(smap), sorted(ref))
    res.equal(f"{case}: module dtypes", {n: dmap.get(n) for n in ref}, {n: e["dtype"] for n, e in ref.items()})
    res.equal(f"{case}: module shapes", {n: smap.get(n) for n in ref}, {n: e["shape"] for n, e in ref.items()})
    bad = []
    for n, e in readable.items():
        try:
            got = digest(r.get_tensor(n, bfloat16="uint16"), e["dtype"])
        except Exception as ex:
            got = repr(ex)
        if got != e["sha256"]:
            bad.append((n, got))
    res.check(f"{case}: module get_tensor bit-identical ({len(readable)} tensors)", not bad, repr(bad[:5]))
    for n, e in ref.items():
        if "sha256" in e:
            continue
        err = e["tf_error"]
        if "Does not have sufficient slices" in err:
            try:
                r.get_tensor(n)
                res.check(f"{case}: {n}: incompletely saved variable refused like TF", False, "read without error")
            except Exception as ex:
                res.check(f"{case}: {n}: incompletely saved variable refused like TF ({type(ex).__name__})",
                          isinstance(ex, (ValueError, tfckpt.CorruptCheckpointError)), repr(ex))
        elif e["dtype"] == "variant":
            v = r.get_tensor(n)
            ok = isinstance(v, (bytes, np.ndarray)) and np.asarray(v, dtype=object).size == int(np.prod(e["shape"]))
            res.check(f"{case}: {n}: variant read (TF's reader cannot: {err[:60]})", ok, repr(type(v)))
    if "session" in c:    # TF1: the values the session held, partitioned ones whole
        sess = {k: v for k, v in c["session"].items() if not k.endswith(":parts")}
        got = {}
        for n, want in sess.items():
            try:
                got[n] = digest(r.get_tensor(n), ref[n]["dtype"])
            except Exception as ex:
                got[n] = repr(ex)
        res.equal(f"{case}: module values equal the TF1 session's variables ({len(sess)})", got, sess)
    # -------- CLI
    rc, out, err = cli("ls", "--json", "--all", path)
    if res.check(f"{case}: ls --json --all runs", rc == 0, err):
        items = json.loads(out)
        res.equal(f"{case}: ls --json names/dtypes/shapes", {i["name"]: [i["dtype"], i["shape"]] for i in items},
                  {n: [e["dtype"], e["shape"]] for n, e in ref.items()})
    rc, out, err = cli("ls", "--json", path)
    if rc == 0:
        res.equal(f"{case}: ls --json hides only the object graph", sorted(i["name"] for i in json.loads(out)),
                  sorted(n for n in ref if n != OG))
    else:
        res.check(f"{case}: ls --json runs", False, err)
    rc, out, err = cli("verify", path)
    partial = any("sufficient slices" in e.get("tf_error", "") for e in ref.values())
    if partial:
        res.check(f"{case}: verify flags the incompletely saved variable (exit 1)", rc == 1, f"rc {rc} {out} {err}")
    else:
        res.check(f"{case}: verify exit 0", rc == 0, f"rc {rc} {out[-300:]} {err[-300:]}")
        rc, out, err = cli("verify", "--hash", path)
        if res.check(f"{case}: verify --hash runs", rc == 0, err):
            h = hashes(out)
            res.equal(f"{case}: verify --hash equals TF's values ({len(readable)})",
                      {n: h.get(n) for n in readable}, {n: e["sha256"] for n, e in readable.items()})
            sess = {k: v for k, v in c.get("session", {}).items() if not k.endswith(":parts")}
            if sess:
                res.equal(f"{case}: verify --hash equals the TF1 session's values", {n: h.get(n) for n in sess}, sess)
    if not partial:
        check_export(case, path, ref, c.get("session", {}))
    if "tf_latest" in c:
        d = os.path.dirname(c["path"])
        res.equal(f"{case}: latest_checkpoint", tfckpt.latest_checkpoint(d), c["tf_latest"])
    r.close()


def check_export(case, path, ref, session):
    with tempfile.TemporaryDirectory(dir=OUT) as t:
        npz = os.path.join(t, "x.npz")
        rc, out, err = cli("export", path, "-o", npz, "--bf16-as", "float32", "--skip-unsupported")
        if not res.check(f"{case}: export npz runs", rc == 0, err):
            return
        z = np.load(npz, allow_pickle=False)
        # npz has no string or variant dtype: export skips those
        # (--skip-unsupported, each named); quantized types come out as the
        # integer of the same size, as TF's get_tensor returns them
        expect = {n for n, e in ref.items() if e["dtype"] not in ("string", "variant")}
        skipped = set(re.findall(r"skipped (.*?) \(", err))
        res.equal(f"{case}: export npz members (all but string/variant)", sorted(z.files), sorted(expect))
        res.equal(f"{case}: export names each skipped variable", sorted(skipped), sorted(set(ref) - expect - {OG}))
        bad = []
        for n in sorted(expect & set(z.files)):
            e, a = ref[n], z[n]
            want = e.get("sha256") or session.get(n)
            if want is None:
                continue
            if e["dtype"] == "bfloat16":
                if a.dtype != np.float32:
                    bad.append((n, str(a.dtype)))
                    continue
                a = (a.view(np.uint32) >> 16).astype(np.uint16)
                if (np.asarray(z[n]).view(np.uint32) & 0xFFFF).any():
                    bad.append((n, "low bits set"))
            if list(a.shape) != e["shape"] or digest(a, e["dtype"]) != want:
                bad.append((n, str(a.dtype), list(a.shape)))
        res.check(f"{case}: export npz values bit-identical ({len(expect)})", not bad, repr(bad[:5]))


def check_corrupt():
    c = read_json(os.path.join(TF, "corrupt.json"))
    p = c["path"]
    bad_tf = sorted(n for n, v in c["tf"].items() if v != "ok")
    res.check("corrupt: TF refuses exactly the flipped tensor", bad_tf == ["victim/kernel"], repr(c["tf"]))
    res.check("corrupt: TF RestoreV2 raises DataLossError", c["tf_restore"]["victim/kernel"].startswith("DataLossError"),
              c["tf_restore"]["victim/kernel"])
    rc, out, err = cli("verify", p)
    failed = re.findall(r"^FAILED.*", out, re.M)
    res.check("corrupt: verify exit 1", rc == 1, f"rc {rc}")
    res.check("corrupt: verify names the same tensor, checksum mismatch, and nothing else",
              len(failed) == 1 and "victim/kernel" in failed[0] and "checksum" in (out + err).lower(), out + err)
    r = tfckpt.load_checkpoint(p)
    for n in c["tf"]:
        try:
            r.get_tensor(n)
            verdict = "ok"
        except tfckpt.CorruptCheckpointError as ex:
            verdict = "corrupt" if "checksum" in str(ex) and n in str(ex) else "corrupt?" + str(ex)
        except Exception as ex:
            verdict = repr(ex)
        res.equal(f"corrupt: module get_tensor({n})", verdict, "ok" if c["tf"][n] == "ok" else "corrupt")


def check_api():
    a = read_json(os.path.join(TF, "api.json"))
    P = a["paths"]
    def outcome(fn):
        try:
            return {"ok": True, "value": fn()}
        except Exception as ex:
            return {"ok": False, "error": type(ex).__name__, "message": str(ex)}
    lv = lambda p: [[n, list(s)] for n, s in tfckpt.list_variables(p)]
    h = lambda x, dt="float32": digest(x, dt)
    mine = {
        "list_variables_prefix": outcome(lambda: lv(P["p1"])),
        "list_variables_dir": outcome(lambda: lv(P["rundir"])),
        "list_variables_named": outcome(lambda: lv(P["named"])),
        "load_variable_dir": outcome(lambda: h(tfckpt.load_variable(P["rundir"], "v/.ATTRIBUTES/VARIABLE_VALUE"))),
        "load_variable_colon0": outcome(lambda: h(tfckpt.load_variable(P["named"], "dense/kernel:0"))),
        "load_variable_scalar": outcome(lambda: int(tfckpt.load_variable(P["named"], "global_step"))),
        "latest_checkpoint_dir": outcome(lambda: tfckpt.latest_checkpoint(P["rundir"])),
        "latest_checkpoint_empty": outcome(lambda: tfckpt.latest_checkpoint(P["empty"])),
        "latest_checkpoint_custom": outcome(lambda: tfckpt.latest_checkpoint(os.path.dirname(P["named"]), latest_filename="my_state")),
        "latest_checkpoint_custom_default_name": outcome(lambda: tfckpt.latest_checkpoint(os.path.dirname(P["named"]))),
        "pathlib_load_checkpoint": outcome(lambda: sorted(tfckpt.load_checkpoint(pathlib.Path(P["p2"])).get_variable_to_shape_map())),
        "pathlib_list_variables": outcome(lambda: lv(pathlib.Path(P["rundir"]))),
        "pathlib_latest_checkpoint": outcome(lambda: tfckpt.latest_checkpoint(pathlib.Path(P["rundir"]))),
        "pathlib_load_variable": outcome(lambda: h(tfckpt.load_variable(pathlib.Path(P["named"]), "dense/kernel"))),
        "has_tensor": outcome(lambda: [tfckpt.load_checkpoint(P["named"]).has_tensor(n) for n in ("b/s", "nope", "b/s:0")]),
        # the raising cases
        "load_variable_missing_name": outcome(lambda: tfckpt.load_variable(P["named"], "nope")),
        "load_checkpoint_empty_dir": outcome(lambda: tfckpt.load_checkpoint(P["empty"])),
        "load_checkpoint_missing": outcome(lambda: tfckpt.load_checkpoint(P["missing"])),
        "get_tensor_missing": outcome(lambda: tfckpt.load_checkpoint(P["named"]).get_tensor("nope")),
    }
    # TensorFlow's exception -> tfckpt's documented equivalent (docs/python.md, docs/interop.md)
    equivalent = {"load_variable_missing_name": ("NotFoundError", "KeyError"),
                  "get_tensor_missing": ("NotFoundError", "KeyError"),
                  "load_checkpoint_missing": ("NotFoundError", "FileNotFoundError"),
                  "load_checkpoint_empty_dir": ("ValueError", "FileNotFoundError")}
    for k, want in a.items():
        if k == "paths":
            continue
        got = mine.get(k)
        if got is None:
            res.check(f"api: {k} compared", False, "no tfckpt counterpart")
        elif want["ok"]:
            res.equal(f"api: {k}", got, want)
        else:
            tf_exc, ours = equivalent[k]
            res.check(f"api: {k}: TF raises {want['error']}, tfckpt raises {ours}",
                      want["error"] == tf_exc and not got["ok"] and got["error"] == ours,
                      f"TF {want}, tfckpt {got}")


def main():
    meta = read_json(os.path.join(TF, "cases.json"))
    for c in meta["cases"]:
        check_case(c)
        if c["case"] == "manager_dir":
            res.equal("manager: latest_checkpoint(dir)", tfckpt.latest_checkpoint(os.path.dirname(c["path"])), c["tf_latest"])
            res.equal("manager: max_to_keep=2 left two checkpoints", [os.path.basename(p) for p in c["tf_all"]], ["ckpt-30", "ckpt-40"])
            rc, out, err = cli("history", c["tfckpt_path"], "--json")
            if res.check("manager: tfckpt history --json runs", rc == 0, err):
                res.check("manager: history lists the state file's paths", all(os.path.basename(p) in out for p in c["tf_all"]), out[:500])
        if c["case"] == "max_shard_size":
            res.check(f"max_shard_size: TF wrote several shards ({c['shards']})", c["shards"] > 1)
            res.equal("max_shard_size: module num_shards", tfckpt.load_checkpoint(c["path"]).num_shards, c["shards"])
        if c["case"].startswith("tf1_saver_v1_sharded"):
            # the path Saver.save returns for sharded V1, a glob pattern
            try:
                names = sorted(tfckpt.load_checkpoint(c["path"]).get_variable_to_shape_map())
                res.equal("tf1_saver_v1_sharded: opens Saver.save's '-?????-of-N' path", names, sorted(c["tensors"]))
            except Exception as ex:
                res.check("tf1_saver_v1_sharded: opens Saver.save's '-?????-of-N' path", False, repr(ex))
        if c["case"] == "big_tensor":
            res.check(f"big_tensor: the tensor is >= 256 MiB ({c['big_mib']} MiB)",
                      c["big_mib"] >= 256)
    ntens = sum(len(c["tensors"]) for c in meta["cases"])
    print(f"check_read: {len(meta['cases'])} checkpoints written by TensorFlow, {ntens} tensors compared", flush=True)
    check_corrupt()
    check_api()
    res.check(f"TensorFlow version is 2.21.0 ({meta['tensorflow']})", meta["tensorflow"] == "2.21.0")
    res.finish()


if __name__ == "__main__":
    main()
