"""TensorFlow side of "tfckpt -> TensorFlow" (run in .venv-interop): for every
checkpoint write_tfckpt.py recorded, tf.train.load_checkpoint must read every
tensor bit-identical to what tfckpt says it wrote; latest_checkpoint and
get_checkpoint_state must read tfckpt's state files; tf.compat.v1.train.Saver
must restore into a graph declaring the same variables; a `tfckpt train` model
rebuilt in TF1 graph mode from the checkpoint alone must predict what
`tfckpt predict` printed; and edited TF2 object-based checkpoints must restore
with tf.train.Checkpoint(...).restore(...).assert_existing_objects_matched()."""
import csv, os, sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# tf.compat.v1.layers (the TF1 graph the README promises) needs tf_keras
os.environ["TF_USE_LEGACY_KERAS"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
import tensorflow as tf
from common import Results, digest, read_json

OUT = sys.argv[1]
res = Results("tfckpt->tf")
OG = "_CHECKPOINTABLE_OBJECT_GRAPH"
SAVER_SKIP = ("variant", "qint8", "quint8", "qint16", "quint16", "qint32")


def tf_read(c):
    case, path, want = c["case"], c["path"], c["tensors"]
    r = tf.train.load_checkpoint(path)
    smap, dmap = r.get_variable_to_shape_map(), r.get_variable_to_dtype_map()
    res.equal(f"{case}: TF names ({len(want)})", sorted(smap), sorted(want))
    res.equal(f"{case}: TF dtypes and shapes", {n: [dmap[n].name, list(smap[n])] for n in smap if n in want},
              {n: [e["dtype"], e["shape"]] for n, e in want.items() if n in smap})
    bad = []
    for n, e in want.items():
        if n not in smap or e["dtype"] == "variant":
            continue
        try:
            got = digest(r.get_tensor(n), e["dtype"])
        except Exception as ex:
            got = repr(ex)[:200]
        if got != e["sha256"]:
            bad.append((n, got))
    res.check(f"{case}: TF get_tensor bit-identical to tfckpt's record ({len(want)})", not bad, repr(bad[:4]))
    if "shards" in c:
        import glob
        res.equal(f"{case}: {c['shards']} data files", len(glob.glob(path + ".data-*-of-*")), c["shards"])


def state(c):
    case, d = c["case"], c["state_dir"]
    res.equal(f"{case}: tf.train.latest_checkpoint", tf.train.latest_checkpoint(d), c["want_latest"])
    st = tf.train.get_checkpoint_state(d)
    if res.check(f"{case}: tf.train.get_checkpoint_state parses", st is not None):
        p = st.model_checkpoint_path
        res.equal(f"{case}: state model_checkpoint_path", p if os.path.isabs(p) else os.path.join(d, p), c["want_latest"])
        if "want_all" in c:
            res.equal(f"{case}: state all_model_checkpoint_paths", list(st.all_model_checkpoint_paths), c["want_all"])
        res.equal(f"{case}: one timestamp per path", len(st.all_model_checkpoint_timestamps),
                  len(st.all_model_checkpoint_paths))


def saver_restore(c):
    """Saver.restore into a graph that declares the same variables."""
    case, path, want = c["case"], c["path"], c["tensors"]
    names = [n for n, e in want.items() if n != OG and e["dtype"] not in SAVER_SKIP]
    g = tf.Graph()
    with g.as_default():
        var_list = {}
        for i, n in enumerate(names):
            e = want[n]
            dt = tf.as_dtype(e["dtype"])
            init = tf.fill(e["shape"], "" if dt == tf.string else tf.constant(0, dt)) if dt != tf.bool else tf.zeros(e["shape"], tf.bool)
            var_list[n] = tf.compat.v1.Variable(init, name=f"v{i}", dtype=dt)
        saver = tf.compat.v1.train.Saver(var_list=var_list)
        with tf.compat.v1.Session() as s:
            try:
                saver.restore(s, path)
            except Exception as ex:
                res.check(f"{case}: Saver.restore ({len(names)} variables)", False, repr(ex)[:500])
                return
            vals = s.run(var_list)
    bad = [n for n in names if digest(vals[n], want[n]["dtype"]) != want[n]["sha256"]]
    res.check(f"{case}: Saver.restore values bit-identical ({len(names)} variables)", not bad, repr(bad[:5]))


def train(c):
    """The tfckpt-trained MLP rebuilt in TF1 graph mode from the checkpoint alone."""
    t = c["train"]
    m = t["model_json"]
    acts = {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid, "identity": None,
            "leaky_relu": lambda x: tf.nn.leaky_relu(x, m["leaky_alpha"]), "softmax": tf.nn.softmax}
    rows = np.loadtxt(t["test"], delimiter=",", skiprows=1, dtype=np.float64)
    x = rows[:, :-1].astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        inp = tf.compat.v1.placeholder(tf.float32, [None, m["input_width"]])
        h = inp
        if m["normalize"]:
            mean = tf.compat.v1.get_variable("normalization/mean", [m["input_width"]])
            var = tf.compat.v1.get_variable("normalization/variance", [m["input_width"]])
            h = (h - mean) / tf.maximum(tf.sqrt(var), 1e-7)
        for layer in m["layers"]:
            if layer["type"] != "dense":
                continue
            h = tf.compat.v1.layers.dense(h, layer["units"], activation=acts[layer["activation"]],
                                          use_bias=layer["use_bias"], name=layer["name"])
        prob = tf.nn.softmax(h) if m["loss"] == "softmax_ce" else tf.sigmoid(h) if m["loss"] == "sigmoid_ce" else h
        names = sorted(v.op.name for v in tf.compat.v1.global_variables())
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as s:
            saver.restore(s, tf.train.latest_checkpoint(c["state_dir"]))
            p = s.run(prob, {inp: x})
    want_vars = {"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias",
                 "normalization/mean", "normalization/variance"}
    res.equal(f"{c['case']}: the TF1 graph's variables (tf.compat.v1.layers.dense names)", set(names), want_vars)
    with open(t["pred"]) as f:
        rd = list(csv.DictReader(f))
    cols = [k for k in rd[0] if k.startswith("prob_")]
    theirs = np.array([[float(r[k]) for k in cols] for r in rd])
    diff = float(np.max(np.abs(theirs - p))) if theirs.shape == p.shape else float("inf")
    res.check(f"{c['case']}: TF predictions equal `tfckpt predict` within 1e-5 ({len(rd)} rows, max diff {diff:.2e})",
              diff <= 1e-5, f"shapes {theirs.shape} {p.shape}")
    res.equal(f"{c['case']}: predicted classes", [int(r["class"]) for r in rd], [int(i) for i in np.argmax(p, axis=1)])


# ------------------------------------------------------------------ item 4
def object_graph(path):
    from tensorflow.core.protobuf import trackable_object_graph_pb2
    g = trackable_object_graph_pb2.TrackableObjectGraph()
    g.ParseFromString(tf.train.load_checkpoint(path).get_tensor(OG))
    keys = [a.checkpoint_key for n in g.nodes for a in n.attributes]
    slots = [(n.original_variable_node_id, n.slot_variable_node_id) for node in g.nodes for n in node.slot_variables]
    return g, keys, slots


def objgraph(c):
    import gen_tf
    case, path, info, want = c["case"], c["path"], c["objgraph"], c["tensors"]
    g, keys, _ = object_graph(path)
    missing = [k for k in keys if k not in want]
    res.check(f"{case}: every checkpoint key the object graph names exists ({len(keys)})", not missing, repr(missing))
    for old, new in info.get("renamed", {}).items():
        res.check(f"{case}: graph renamed {old} -> {new}", new in keys and old not in keys, repr(keys))
    for gone in info.get("removed", []):
        res.check(f"{case}: graph no longer names {gone}", gone not in keys, repr(keys))
    if c["source"] == "tf2_slots":
        return objgraph_slots(c, g, keys)
    # restore into the same Python objects (the removed variable left out)
    model = gen_tf.Outer(tf.float16 if "cast" in info else tf.float64)
    kw = {"model": model}
    if "removed" not in info:
        kw["extra"] = tf.Variable(tf.zeros([4], tf.float16))
    ck = tf.train.Checkpoint(**kw)
    if not restore_ok(case, ck, path):
        return
    got = {"model/enc/w": model.enc.w, "model/enc/b": model.enc.b, "model/layers/0/w": model.layers[0].w,
           "model/layers/1/w": model.layers[1].w, "model/step": model.step, "model/table/name": model.table["name"]}
    check_values(case, got, info, want)


def restore_ok(case, ck, path):
    try:
        status = ck.restore(path)
        status.assert_existing_objects_matched()
        return res.check(f"{case}: Checkpoint.restore + assert_existing_objects_matched", True)
    except Exception as ex:
        return res.check(f"{case}: Checkpoint.restore + assert_existing_objects_matched", False, repr(ex)[:600])


def check_values(case, got, info, want):
    ren = info.get("renamed", {})
    bad, n = [], 0
    for p, v in got.items():
        key = p + "/.ATTRIBUTES/VARIABLE_VALUE"
        key = ren.get(key, key)
        if key in want:
            n += 1
            if digest(v.numpy(), want[key]["dtype"]) != want[key]["sha256"]:
                bad.append(key)
    res.check(f"{case}: restored values are the ones tfckpt wrote ({n})", not bad and n > 0, repr(bad))


def objgraph_slots(c, g, keys):
    import gen_tf
    case, path, info, want = c["case"], c["path"], c["objgraph"], c["tensors"]
    nslots = sum(len(n.slot_variables) for n in g.nodes)
    if info.get("no_slots"):
        res.equal(f"{case}: no slot references left", nslots, 0)
    if info.get("slot_of_removed"):
        # the removed variable's slots are still stored, but no reference
        # may pair a slot with a node that lost its value
        res.check(f"{case}: slot references only between nodes with values", all(
            any(a.checkpoint_key in want for a in g.nodes[s.original_variable_node_id].attributes) and
            any(a.checkpoint_key in want for a in g.nodes[s.slot_variable_node_id].attributes)
            for n in g.nodes for s in n.slot_variables), str(g)[:600])
    m, opt = gen_tf.slots_model()
    kw = {"model": m, "opt": opt}
    if info.get("slot_of_removed"):
        del m.b
    if not restore_ok(case, tf.train.Checkpoint(**kw), path):
        return
    got = {"model/w": m.w}
    if hasattr(m, "b"):
        got["model/b"] = m.b
    check_values(case, got, info, want)


def main():
    cases = read_json(os.path.join(OUT, "ck", "cases.json"))["cases"]
    print(f"verify_tf: {len(cases)} checkpoints written by tfckpt, {sum(len(c['tensors']) for c in cases)} tensors read by TensorFlow", flush=True)
    for c in cases:
        steps = [tf_read]
        if "state_dir" in c:
            steps.append(state)
        if c.get("saver"):
            steps.append(saver_restore)
        if "train" in c:
            steps.append(train)
        if "objgraph" in c:
            steps.append(objgraph)
        for fn in steps:
            try:
                fn(c)
            except Exception as ex:
                res.check(f"{c['case']}: {fn.__name__} ran", False, repr(ex)[:600])
    res.finish()


if __name__ == "__main__":
    main()
