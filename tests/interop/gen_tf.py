"""TensorFlow side of "TensorFlow -> tfckpt" (run in .venv-interop).

Writes checkpoints through every writing API TensorFlow users have into
OUT/tf/<case>/ and records what tf.train.load_checkpoint reads from each (names,
dtypes, shapes, sha256 of the canonical bytes, exceptions) in OUT/tf/cases.json,
plus TensorFlow's behaviour of the reading API (OUT/tf/api.json) and a
corrupted copy (OUT/tf/corrupt.json).  check_read.py then compares tfckpt's CLI
and module with these records.  Nothing here touches tfckpt."""
import glob, os, pathlib, shutil, sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
import tensorflow as tf
from common import digest, write_json

OUT = os.path.join(sys.argv[1], "tf")
BIG_MIB = int(os.environ.get("TFCKPT_INTEROP_BIG_MIB", "256"))
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261203)
cases = []


def d(case):
    p = os.path.join(OUT, case)
    os.makedirs(p, exist_ok=True)
    return p


def reference(path):
    """Everything tf.train.load_checkpoint reads from path."""
    r = tf.train.load_checkpoint(path)
    shapes = r.get_variable_to_shape_map()
    dtypes = r.get_variable_to_dtype_map()
    out = {}
    for name in sorted(shapes):
        e = {"dtype": dtypes[name].name, "shape": [int(x) for x in shapes[name]]}
        try:
            e["sha256"] = digest(r.get_tensor(name), e["dtype"])
        except Exception as ex:  # variant: TF's reader cannot convert it
            e["tf_error"] = type(ex).__name__ + ": " + str(ex).splitlines()[0][:200]
        out[name] = e
    return out


def add(case, path, tfckpt_path=None, **extra):
    c = {"case": case, "path": path, "tfckpt_path": tfckpt_path or path,
         "tensors": reference(path)}
    c.update(extra)
    cases.append(c)
    print(f"gen_tf: {case}: {len(c['tensors'])} tensors", flush=True)


# ---------------------------------------------------------------- SaveV2
def every_dtype():
    t = {}
    def fl(npdt, n):
        base = rng.standard_normal(n).astype(npdt)
        special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-42 if npdt != np.float16 else 6e-8,
                            np.finfo(npdt).max, np.finfo(npdt).tiny], dtype=npdt)
        return np.concatenate([special, base])
    for name, npdt in [("float16", np.float16), ("float32", np.float32), ("float64", np.float64)]:
        t[name + "/vec"] = tf.constant(fl(npdt, 40))
        t[name + "/scalar"] = tf.constant(npdt(-1.5))
        t[name + "/nan_payload"] = tf.bitcast(tf.constant(
            np.array({"float16": [0x7E01, 0xFC01], "float32": [0x7FC00001, 0xFF800001],
                      "float64": [0x7FF8000000000001, 0xFFF0000000000001]}[name],
                     dtype={"float16": np.uint16, "float32": np.uint32, "float64": np.uint64}[name])), tf.as_dtype(npdt))
    bits = rng.integers(0, 1 << 16, size=(5, 7), dtype=np.uint16)
    bits[0, :5] = [0x7FC1, 0xFF80, 0x8000, 0x0001, 0x3F80]
    t["bfloat16/matrix"] = tf.bitcast(tf.constant(bits), tf.bfloat16)
    t["bfloat16/scalar"] = tf.constant(3.140625, dtype=tf.bfloat16)
    for name, npdt in [("int8", np.int8), ("int16", np.int16), ("int32", np.int32), ("int64", np.int64),
                       ("uint8", np.uint8), ("uint16", np.uint16), ("uint32", np.uint32), ("uint64", np.uint64)]:
        info = np.iinfo(npdt)
        v = rng.integers(info.min, info.max, size=(3, 11), dtype=npdt, endpoint=True)
        v[0, 0], v[0, 1] = info.min, info.max
        t[name + "/matrix"] = tf.constant(v)
        t[name + "/scalar"] = tf.constant(npdt(info.max))
    t["bool/vec"] = tf.constant(rng.integers(0, 2, 37).astype(bool))
    t["bool/scalar"] = tf.constant(True)
    t["complex64/vec"] = tf.constant((rng.standard_normal(9) + 1j * rng.standard_normal(9)).astype(np.complex64))
    t["complex128/vec"] = tf.constant(np.array([complex(np.nan, -0.0), complex(np.inf, 1e-300)] +
                                               list(rng.standard_normal(6) + 1j), dtype=np.complex128))
    t["complex64/scalar"] = tf.constant(np.complex64(1 - 2j))
    big = bytes(rng.integers(0, 256, (1 << 20) + 4099, dtype=np.uint8))
    t["string/vec"] = tf.constant([b"", b"a\x00b", b"\x00" * 5, big, b"\xff\xfe\x80", "\u00e9t\u00e9".encode()])
    t["string/scalar"] = tf.constant(b"hello\x00world")
    t["string/empty_scalar"] = tf.constant(b"")
    t["string/matrix"] = tf.constant([[b"x" * 300, b""], [b"yz", b"\x00"]])
    t["string/zero_elems"] = tf.constant(np.zeros((0, 3), dtype=object).astype(bytes), dtype=tf.string)
    for q in (tf.qint8, tf.quint8, tf.qint16, tf.quint16, tf.qint32):
        base = q.as_numpy_dtype
        plain = np.dtype(base[0]) if base.names else np.dtype(base)
        info = np.iinfo(plain)
        v = rng.integers(info.min, info.max, size=(4, 3), endpoint=True).astype(plain)
        t[q.name + "/matrix"] = tf.constant(v.astype(base) if base.names else v, dtype=q)
        t[q.name + "/scalar"] = tf.constant(np.array(info.min, plain).astype(base) if base.names else info.min, dtype=q)
    # shapes
    t["shape/empty_0"] = tf.zeros([0], tf.float32)
    t["shape/empty_2x0x3"] = tf.zeros([2, 0, 3], tf.int32)
    t["shape/empty_bf16"] = tf.zeros([0, 4], tf.bfloat16)
    t["shape/rank6"] = tf.constant(rng.standard_normal((2, 1, 3, 1, 2, 2)).astype(np.float32))
    t["shape/rank7_int16"] = tf.constant(rng.integers(-9, 9, (1, 2, 1, 2, 1, 2, 3)).astype(np.int16))
    t["shape/rank8_empty"] = tf.zeros([1, 1, 1, 1, 0, 1, 1, 1], tf.float64)
    t["shape/rank6_string"] = tf.constant(np.array([b"s%d" % i for i in range(8)], dtype=object).reshape(2, 1, 2, 1, 2, 1))
    return t


def case_savev2():
    t = every_dtype()
    names = sorted(t)
    p = os.path.join(d("savev2_dtypes"), "all")
    tf.raw_ops.SaveV2(prefix=p, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[t[n] for n in names])
    add("savev2_dtypes", p)
    # the same tensors again with the names given in reverse order
    p2 = os.path.join(d("savev2_dtypes_reversed"), "rev")
    tf.raw_ops.SaveV2(prefix=p2, tensor_names=names[::-1], shape_and_slices=[""] * len(names),
                      tensors=[t[n] for n in names[::-1]])
    add("savev2_dtypes_reversed", p2)


def case_slices():
    full = rng.standard_normal((6, 4)).astype(np.float32)
    grid = np.arange(16, dtype=np.int64).reshape(4, 4) * 7 - 20
    strs = np.array([b"r%d" % i for i in range(5)], dtype=object)
    names, specs, vals = [], [], []
    for r0 in (4, 0, 2):                      # slices saved out of order
        names.append("part/rows"); specs.append(f"6 4 {r0},2:-"); vals.append(full[r0:r0 + 2])
    for (r0, c0) in [(0, 0), (0, 2), (2, 0), (2, 2)]:
        names.append("part/grid"); specs.append(f"4 4 {r0},2:{c0},2"); vals.append(grid[r0:r0 + 2, c0:c0 + 2])
    names.append("part/uneven"); specs.append("5 0,1"); vals.append(full[0, :1])
    names.append("part/uneven"); specs.append("5 1,4"); vals.append(full[1, :4])
    names.append("plain"); specs.append(""); vals.append(full)
    p = os.path.join(d("savev2_slices"), "slices")
    tf.raw_ops.SaveV2(prefix=p, tensor_names=names, shape_and_slices=specs,
                      tensors=[tf.constant(v) for v in vals])
    add("savev2_slices", p)
    # a variable of which only part was saved: TF cannot read it whole
    p2 = os.path.join(d("savev2_partial"), "partial")
    tf.raw_ops.SaveV2(prefix=p2, tensor_names=["half", "ok"], shape_and_slices=["4 6 -:0,3", ""],
                      tensors=[tf.constant(grid[:, :3].astype(np.float32)), tf.constant(strs)])
    add("savev2_partial", p2)


# ---------------------------------------------------------------- TF1 Saver
def tf1_graph(sharded_devices):
    g = tf.Graph()
    with g.as_default():
        init = tf.compat.v1.random_normal_initializer(seed=3)
        dev = ["/cpu:0", "/cpu:1"] if sharded_devices else ["/cpu:0", "/cpu:0"]
        with tf.device(dev[0]):
            tf.compat.v1.get_variable("emb/table", [10, 4], initializer=init,
                                      partitioner=tf.compat.v1.fixed_size_partitioner(3))
            tf.compat.v1.get_variable("dense/kernel", [5, 3], initializer=init)
            tf.compat.v1.get_variable("global_step", [], tf.int64, initializer=tf.compat.v1.constant_initializer(42))
        with tf.device(dev[1]):
            tf.compat.v1.get_variable("big/w", [96, 64], initializer=init,
                                      partitioner=tf.compat.v1.min_max_variable_partitioner(
                                          max_partitions=4, axis=0, min_slice_size=4 << 10))
            tf.compat.v1.get_variable("dense/bias", [3], tf.float64, initializer=init)
            tf.compat.v1.Variable(tf.constant([b"vocab\x00a", b""]), name="vocab")
            tf.compat.v1.get_variable("counts", [7], tf.int32, initializer=tf.compat.v1.constant_initializer(-3))
    return g


def case_tf1_saver():
    cfg = tf.compat.v1.ConfigProto(device_count={"CPU": 2})
    for version, sharded in [("V2", False), ("V2", True), ("V1", False), ("V1", True)]:
        case = f"tf1_saver_{version.lower()}{'_sharded' if sharded else ''}"
        g = tf1_graph(sharded)
        with g.as_default(), tf.compat.v1.Session(config=cfg) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            wv = tf.compat.v1.train.SaverDef.V1 if version == "V1" else tf.compat.v1.train.SaverDef.V2
            saver = tf.compat.v1.train.Saver(sharded=sharded, write_version=wv, max_to_keep=3)
            path = saver.save(s, os.path.join(d(case), "model.ckpt"), global_step=7)
            # The values as the session holds them (partitioned variables whole):
            # TensorFlow's CheckpointReader cannot read partitioned V1 tensors
            # ("Sliced checkpoints are not supported"), so this is the truth.
            session = {}
            for v in tf.compat.v1.global_variables():
                name = v.op.name
                if "/part_" in name:
                    continue
                session[name] = digest(s.run(v), v.dtype.base_dtype.name)
            for name in ("emb/table", "big/w"):
                parts = sorted([v for v in tf.compat.v1.global_variables() if v.op.name.startswith(name + "/part_")],
                               key=lambda v: int(v.op.name.rsplit("_", 1)[1]))
                session[name] = digest(np.concatenate([s.run(v) for v in parts], axis=0), "float32")
                session[name + ":parts"] = len(parts)
        tfck = path
        if version == "V1" and sharded:
            tfck = sorted(glob.glob(path.replace("?????", "0" * 5)))[0]
        add(case, path, tfck, tf_latest=tf.train.latest_checkpoint(d(case)), session=session)


# ---------------------------------------------------------------- TF2 objects
class Inner(tf.Module):
    def __init__(self, n, dtype=tf.float32):
        super().__init__()
        self.w = tf.Variable(tf.cast(rng.standard_normal((n, 2)), dtype))
        self.b = tf.Variable(tf.zeros([2], dtype))


class Outer(tf.Module):
    def __init__(self, dtype0=tf.float64):
        super().__init__()
        self.enc = Inner(3)
        self.layers = [Inner(2, dtype0), Inner(4, tf.bfloat16)]
        self.table = {"ids": tf.Variable(tf.constant([1, 2, 3], tf.int64)),
                      "name": tf.Variable(b"outer\x00")}
        self.step = tf.Variable(5, dtype=tf.int32)


def case_tf2_module():
    root = Outer()
    ck = tf.train.Checkpoint(model=root, extra=tf.Variable(tf.constant(rng.standard_normal(4), tf.float16)))
    p = ck.write(os.path.join(d("tf2_module"), "written"))
    add("tf2_module", p)
    p2 = ck.save(os.path.join(d("tf2_module_save"), "ckpt"))
    add("tf2_module_save", p2, tf_latest=tf.train.latest_checkpoint(d("tf2_module_save")))


def slots_model():
    m = tf.Module()
    m.w = tf.Variable(tf.constant(rng.standard_normal((3, 2)).astype(np.float32)))
    m.b = tf.Variable(tf.zeros([2]))
    opt = tf.compat.v1.train.AdamOptimizer(0.1)
    return m, opt


def case_slots():
    """TF1 optimizer in eager mode: its slots are recorded as slot_variables
    in the object graph (.OPTIMIZER_SLOT keys)."""
    m, opt = slots_model()
    x = tf.constant(rng.standard_normal((4, 3)).astype(np.float32))
    opt.minimize(lambda: tf.reduce_sum(tf.square(x @ m.w + m.b)), var_list=[m.w, m.b])
    p = tf.train.Checkpoint(model=m, opt=opt).save(os.path.join(d("tf2_slots"), "slots"))
    add("tf2_slots", p)


def keras_model():
    import keras
    keras.utils.set_random_seed(7)
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(3)])
    m.compile(optimizer=keras.optimizers.Adam(1e-2),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = rng.standard_normal((16, 6)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    m.train_on_batch(x, y)
    return m


def case_keras():
    m = keras_model()
    ck = tf.train.Checkpoint(model=m, optimizer=m.optimizer)
    p = ck.write(os.path.join(d("keras3_adam"), "keras"))
    add("keras3_adam", p)


def case_manager():
    v = tf.Variable(tf.zeros([3, 3]))
    step = tf.Variable(0, dtype=tf.int64)
    ck = tf.train.Checkpoint(v=v, step=step)
    mgr = tf.train.CheckpointManager(ck, d("manager"), max_to_keep=2)
    for i in range(4):
        v.assign_add(tf.ones([3, 3]) * (i + 0.5))
        step.assign_add(1)
        mgr.save(checkpoint_number=int(step.numpy()) * 10)
    st = tf.train.get_checkpoint_state(d("manager"))
    for p in mgr.checkpoints:
        add("manager:" + os.path.basename(p), p)
    add("manager_dir", tf.train.latest_checkpoint(d("manager")), d("manager"),
        tf_latest=tf.train.latest_checkpoint(d("manager")),
        tf_all=list(st.all_model_checkpoint_paths), tf_files=sorted(os.listdir(d("manager"))))


def case_multishard():
    root = tf.Module()
    root.vs = [tf.Variable(tf.constant(rng.standard_normal((64, 64)).astype(np.float32))) for _ in range(6)]
    root.s = tf.Variable(b"shard-me")
    ck = tf.train.Checkpoint(root=root)
    opts = tf.train.CheckpointOptions(
        experimental_sharding_callback=tf.train.experimental.MaxShardSizePolicy(max_shard_size=40000))
    p = ck.write(os.path.join(d("max_shard_size"), "sharded"), options=opts)
    nshards = len(glob.glob(p + ".data-*"))
    add("max_shard_size", p, shards=nshards)
    a = os.path.join(d("merge_v2"), "part_a")
    b = os.path.join(d("merge_v2"), "part_b")
    tf.raw_ops.SaveV2(prefix=a, tensor_names=["a/x", "z/last"], shape_and_slices=["", ""],
                      tensors=[tf.constant(rng.standard_normal(100)), tf.constant([b"a", b"b"])])
    tf.raw_ops.SaveV2(prefix=b, tensor_names=["b/y", "m/mid", "p"], shape_and_slices=["", "", "4 0,2"],
                      tensors=[tf.constant(rng.integers(0, 9, (3, 3))), tf.constant(1.5, tf.bfloat16),
                               tf.constant([1.0, 2.0])])
    merged = os.path.join(d("merge_v2"), "merged")
    tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=[a, b], destination_prefix=merged,
                                  delete_old_dirs=False)
    add("merge_v2", merged, shards=len(glob.glob(merged + ".data-*")))


def case_saved_model():
    class Tables(tf.Module):
        def __init__(self):
            super().__init__()
            self.static = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.constant(["a", "bb", ""]), tf.constant([1, 2, 3], tf.int64)), -1)
            self.mutable = tf.lookup.experimental.MutableHashTable(tf.string, tf.float32, default_value=-1.0)
            self.mutable.insert(tf.constant(["x", "y\x00z"]), tf.constant([0.5, -2.0]))
            self.dense = tf.lookup.experimental.DenseHashTable(tf.int64, tf.int64, default_value=0,
                                                               empty_key=-1, deleted_key=-2, initial_num_buckets=8)
            self.dense.insert(tf.constant([10, 20, 30], tf.int64), tf.constant([100, 200, 300], tf.int64))
            self.v = tf.Variable([1.0, 2.0])

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def lookup(self, k):
            return self.static.lookup(k)

    m = Tables()
    sm = d("saved_model")
    tf.saved_model.save(m, sm)
    add("saved_model_tables", os.path.join(sm, "variables", "variables"), sm)
    # TF 2.21's tf.saved_model.save refuses an eager tf.data iterator ("Attempting
    # to capture an EagerTensor without building a function"); recorded, and the
    # iterator's variant tensor is written with tf.train.Checkpoint instead.
    it = iter(tf.data.Dataset.range(100).shuffle(10, seed=1).batch(3))
    next(it)
    withit = tf.Module()
    withit.it = it
    try:
        tf.saved_model.save(withit, d("saved_model_iterator"))
        sm_iter = "saved"
    except Exception as ex:
        sm_iter = type(ex).__name__ + ": " + str(ex).splitlines()[0][:200]
    p = tf.train.Checkpoint(it=it, t=m.mutable, d=m.dense).write(os.path.join(d("iterator"), "it"))
    add("iterator_variant", p, saved_model_iterator=sm_iter)


def case_big():
    n = BIG_MIB << 18                          # float32 elements
    v = rng.integers(0, 1 << 32, size=n, dtype=np.uint32)
    v[:: 7] = 0x7FC00000
    p = os.path.join(d("big"), "big")
    tf.raw_ops.SaveV2(prefix=p, tensor_names=["big/weights", "small"], shape_and_slices=["", ""],
                      tensors=[tf.bitcast(tf.constant(v.reshape(-1, 1024)), tf.float32), tf.constant(1)])
    del v
    add("big_tensor", p, big_mib=BIG_MIB)


# ---------------------------------------------------------------- corruption
def case_corrupt():
    src = os.path.join(d("corrupt_src"), "c")
    marker = np.full(4096, 0x5A5A5A5A, dtype=np.uint32)
    tf.raw_ops.SaveV2(prefix=src, tensor_names=["aa", "victim/kernel", "zz"], shape_and_slices=["", "", ""],
                      tensors=[tf.constant(rng.standard_normal(1000).astype(np.float32)),
                               tf.bitcast(tf.constant(marker), tf.float32), tf.constant([b"s", b"t"])])
    dst = d("corrupt")
    for f in glob.glob(src + ".*"):
        shutil.copy(f, dst)
    data = os.path.join(dst, "c.data-00000-of-00001")
    raw = bytearray(open(data, "rb").read())
    off = raw.find(marker.tobytes()) + 5000
    raw[off] ^= 0x01
    open(data, "wb").write(raw)
    p = os.path.join(dst, "c")
    r = tf.train.load_checkpoint(p)
    verdicts = {}
    for n in ("aa", "victim/kernel", "zz"):
        try:
            r.get_tensor(n)
            verdicts[n] = "ok"
        except Exception as ex:
            code = getattr(ex, "error_code", None)
            kind = {getattr(tf.errors, c): c for c in dir(tf.errors) if c.isupper()}.get(code, type(ex).__name__)
            verdicts[n] = kind + ": " + str(ex).splitlines()[0][:300]
    # RestoreV2 (what Saver.restore and Checkpoint.restore run) as well
    restore = {}
    for n, dt in (("aa", tf.float32), ("victim/kernel", tf.float32), ("zz", tf.string)):
        try:
            tf.raw_ops.RestoreV2(prefix=p, tensor_names=[n], shape_and_slices=[""], dtypes=[dt])
            restore[n] = "ok"
        except Exception as ex:
            restore[n] = type(ex).__name__ + ": " + str(ex).splitlines()[0][:300]
    write_json(os.path.join(OUT, "corrupt.json"), {"path": p, "flipped_offset": off, "tf": verdicts,
                                                    "tf_restore": restore})
    print("gen_tf: corrupt:", verdicts, restore, flush=True)


# ---------------------------------------------------------------- API semantics
def outcome(fn):
    try:
        v = fn()
        return {"ok": True, "value": v}
    except Exception as ex:
        return {"ok": False, "error": type(ex).__name__, "message": str(ex).splitlines()[0][:300] if str(ex) else ""}


def api_semantics():
    base = d("api")
    v = tf.Variable(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    w = tf.Variable(tf.constant(7, tf.int64))
    mgr = tf.train.CheckpointManager(tf.train.Checkpoint(v=v, w=w), os.path.join(base, "run"), max_to_keep=3)
    p1 = mgr.save()
    v.assign([[5.0, 6.0], [7.0, 8.0]])
    p2 = mgr.save()
    # TF1-style names for :0 tests
    p_named = os.path.join(base, "named", "m.ckpt")
    tf.raw_ops.SaveV2(prefix=p_named, tensor_names=["dense/kernel", "global_step", "b/s"], shape_and_slices=[""] * 3,
                      tensors=[tf.constant([[0.5]]), tf.constant(3, tf.int64), tf.constant([b"q"])])
    tf.compat.v1.train.update_checkpoint_state(os.path.join(base, "named"), p_named, latest_filename="my_state")
    empty = d("api/empty_dir")
    missing = os.path.join(base, "no_such_ckpt")
    rundir = os.path.join(base, "run")
    h = lambda x, dt: digest(x, dt)
    api = {
        "paths": {"p1": p1, "p2": p2, "named": p_named, "empty": empty, "missing": missing, "rundir": rundir},
        "list_variables_prefix": outcome(lambda: [[n, list(s)] for n, s in tf.train.list_variables(p1)]),
        "list_variables_dir": outcome(lambda: [[n, list(s)] for n, s in tf.train.list_variables(rundir)]),
        "list_variables_named": outcome(lambda: [[n, list(s)] for n, s in tf.train.list_variables(p_named)]),
        "load_variable_dir": outcome(lambda: h(tf.train.load_variable(rundir, "v/.ATTRIBUTES/VARIABLE_VALUE"), "float32")),
        "load_variable_colon0": outcome(lambda: h(tf.train.load_variable(p_named, "dense/kernel:0"), "float32")),
        "load_variable_scalar": outcome(lambda: int(tf.train.load_variable(p_named, "global_step"))),
        "load_variable_missing_name": outcome(lambda: h(tf.train.load_variable(p_named, "nope"), "float32")),
        "load_checkpoint_empty_dir": outcome(lambda: tf.train.load_checkpoint(empty) and "opened"),
        "load_checkpoint_missing": outcome(lambda: tf.train.load_checkpoint(missing) and "opened"),
        "latest_checkpoint_dir": outcome(lambda: tf.train.latest_checkpoint(rundir)),
        "latest_checkpoint_empty": outcome(lambda: tf.train.latest_checkpoint(empty)),
        "latest_checkpoint_custom": outcome(lambda: tf.train.latest_checkpoint(os.path.join(base, "named"), latest_filename="my_state")),
        "latest_checkpoint_custom_default_name": outcome(lambda: tf.train.latest_checkpoint(os.path.join(base, "named"))),
        "pathlib_load_checkpoint": outcome(lambda: sorted(tf.train.load_checkpoint(pathlib.Path(p2)).get_variable_to_shape_map())),
        "pathlib_list_variables": outcome(lambda: [[n, list(s)] for n, s in tf.train.list_variables(pathlib.Path(rundir))]),
        "pathlib_latest_checkpoint": outcome(lambda: tf.train.latest_checkpoint(pathlib.Path(rundir))),
        "pathlib_load_variable": outcome(lambda: h(tf.train.load_variable(pathlib.Path(p_named), "dense/kernel"), "float32")),
        "get_tensor_missing": outcome(lambda: tf.train.load_checkpoint(p_named).get_tensor("nope")),
        "has_tensor": outcome(lambda: [tf.train.load_checkpoint(p_named).has_tensor(n) for n in ("b/s", "nope", "b/s:0")]),
    }
    write_json(os.path.join(OUT, "api.json"), api)


def main():
    only = set(sys.argv[2:])
    steps = [case_savev2, case_slices, case_tf1_saver, case_tf2_module, case_slots, case_keras, case_manager,
             case_multishard, case_saved_model, case_big, case_corrupt, api_semantics]
    for fn in steps:
        if only and fn.__name__ not in only:
            continue
        fn()
    write_json(os.path.join(OUT, "cases.json"), {"tensorflow": tf.__version__, "cases": cases})
    print(f"gen_tf: {len(cases)} checkpoints written by TensorFlow {tf.__version__}")


if __name__ == "__main__":
    main()
