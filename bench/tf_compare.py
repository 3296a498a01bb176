"""tfckpt side by side with TensorFlow 2.21 in one run (ratios, not timed tests).

    bench/tf_compare.sh [BUILD_DIR]      (creates .venv-interop if needed)

1. Listing a 1 GiB / 10,000-variable checkpoint: `tfckpt ls`, and
   `tfckpt.list_variables` (whole processes, interpreter start included) vs a
   process running `tf.train.list_variables` (TensorFlow's import reported
   separately and included in the process time).
2. Reading every tensor of it: tfckpt's `get_tensor` (zero-copy view, and a
   copy) vs TensorFlow's `CheckpointReader.get_tensor`, in-process, page
   cache warm, best of 3.
3. Training the same MLP on the same data, batch size, optimizer and epochs:
   `tfckpt train` (whole process, CSV parsing included) vs Keras 3 `model.fit`
   on the TensorFlow backend (in-memory arrays), 1 and 2 threads: samples/s
   and test accuracy.
Runs under /usr/bin/python3 (tfckpt's module); TensorFlow runs in the venv."""
import json, os, subprocess, sys, tempfile, time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
TF_PY = sys.argv[2]
sys.path.insert(0, os.path.join(BUILD, "python"))
import numpy as np
import tfckpt

BIN = os.path.join(BUILD, "tfckpt")
NVARS = int(os.environ.get("BENCH_VARS", "10000"))
MIB = int(os.environ.get("BENCH_MIB", "1024"))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")


def wall(cmd, n=3, **kw):
    best = None
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    return best


def tf_json(code, threads=None):
    env = dict(ENV)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS="1")
    out = subprocess.run([TF_PY, "-c", code], check=True, capture_output=True, env=env, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    tmp = tempfile.mkdtemp(prefix="tfckpt-tfbench.", dir=os.environ.get("BENCH_DIR"))
    try:
        run(tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])


def run(tmp):
    prefix = os.path.join(tmp, "big", "model.ckpt")
    per = (MIB << 20) // NVARS // 4
    rng = np.random.default_rng(1)
    base = rng.standard_normal(per).astype(np.float32)
    t = time.perf_counter()
    class Gen:                      # items() one tensor at a time: flat memory
        def items(self):
            return ((f"layer_{i // 100:03d}/unit_{i % 100:02d}/kernel", base + i) for i in range(NVARS))
    tfckpt.save(Gen(), prefix)
    print(f"wrote {NVARS} variables, {NVARS * per * 4 / 2**30:.2f} GiB with tfckpt.save in {time.perf_counter() - t:.1f} s")
    subprocess.run(["cat", prefix + ".data-00000-of-00001"], stdout=subprocess.DEVNULL)   # warm the cache

    print("\n## 1. listing (whole processes, best of 3)")
    ls = wall([BIN, "ls", prefix])
    lv = wall(["/usr/bin/python3", "-c", f"import sys; sys.path.insert(0, {os.path.join(BUILD, 'python')!r}); import tfckpt; tfckpt.list_variables({prefix!r})"])
    imp = wall([TF_PY, "-c", "import tensorflow"], env=ENV)
    tflv = wall([TF_PY, "-c", f"import tensorflow as tf; tf.train.list_variables({prefix!r})"], env=ENV)
    inproc = tf_json(f"""
import time, json
t = time.perf_counter(); import tensorflow as tf; t_imp = time.perf_counter() - t
best = 1e9
for _ in range(3):
    t = time.perf_counter(); v = tf.train.list_variables({prefix!r}); best = min(best, time.perf_counter() - t)
print(json.dumps({{"import": t_imp, "list": best, "n": len(v)}}))""")
    best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        n = len(tfckpt.list_variables(prefix))
        best = min(best, time.perf_counter() - t)
    rows = [("`tfckpt ls` (process, printing 10,000 lines)", ls),
            ("`tfckpt.list_variables` (python3 process incl. import)", lv),
            ("`tf.train.list_variables` (process incl. `import tensorflow`)", tflv)]
    print(f"| measure | time | TF / this |\n|---|---|---|")
    for name, v in rows:
        print(f"| {name} | {v * 1000:.0f} ms | {tflv / v:.1f}x |")
    print(f"| `import tensorflow` alone (process) | {imp * 1000:.0f} ms | |")
    print(f"| in-process: `tfckpt.list_variables` | {best * 1000:.1f} ms | {inproc['list'] / best:.1f}x |")
    print(f"| in-process: `tf.train.list_variables` (after import, {inproc['import']:.2f} s) | {inproc['list'] * 1000:.1f} ms | 1.0x |")
    assert n == inproc["n"] == NVARS, (n, inproc["n"])

    print("\n## 2. reading every tensor (in-process, warm cache, best of 3)")
    r = tfckpt.load_checkpoint(prefix)
    names = sorted(r.get_variable_to_shape_map())
    def timeit(fn):
        b = 1e9
        for _ in range(3):
            t = time.perf_counter(); fn(); b = min(b, time.perf_counter() - t)
        return b
    view = timeit(lambda: [r.get_tensor(n) for n in names])
    copy = timeit(lambda: [np.array(r.get_tensor(n)) for n in names])
    check = float(sum(float(r.get_tensor(n)[0]) for n in names[:100]))
    tf_read = tf_json(f"""
import time, json
import tensorflow as tf
r = tf.train.load_checkpoint({prefix!r})
names = sorted(r.get_variable_to_shape_map())
best = 1e9
for _ in range(3):
    t = time.perf_counter(); [r.get_tensor(n) for n in names]; best = min(best, time.perf_counter() - t)
print(json.dumps({{"t": best, "check": float(sum(float(r.get_tensor(n)[0]) for n in names[:100]))}}))""")
    assert abs(tf_read["check"] - check) < 1e-3, (tf_read["check"], check)
    gb = NVARS * per * 4 / 1e9
    print("| reader | time | GB/s | vs TF |\n|---|---|---|---|")
    print(f"| TF `CheckpointReader.get_tensor` (copies) | {tf_read['t'] * 1000:.0f} ms | {gb / tf_read['t']:.2f} | 1.0x |")
    print(f"| tfckpt `get_tensor` + `np.array` (copies) | {copy * 1000:.0f} ms | {gb / copy:.2f} | {tf_read['t'] / copy:.1f}x |")
    print(f"| tfckpt `get_tensor` (zero-copy views, CRC checked) | {view * 1000:.0f} ms | {gb / view:.2f} | {tf_read['t'] / view:.1f}x |")
    r.close()
    subprocess.run(["rm", "-rf", os.path.dirname(prefix)])

    print("\n## 3. training: tfckpt train vs Keras 3 model.fit (TensorFlow backend)")
    nf, nc, ntr, nte = 64, 10, 60000, 10000
    x = rng.standard_normal((ntr + nte, nf)).astype(np.float32)
    w = rng.standard_normal((nf, nc))
    y = np.argmax(np.tanh(x @ w / 4) * 4 + 0.3 * rng.standard_normal((ntr + nte, nc)), axis=1)
    tr, te = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
    for path, sl in ((tr, slice(0, ntr)), (te, slice(ntr, None))):
        np.savetxt(path, np.column_stack([x[sl], y[sl]]), delimiter=",", fmt=["%.9g"] * nf + ["%d"],
                   header=",".join([f"f{i}" for i in range(nf)] + ["label"]), comments="")
    np.save(os.path.join(tmp, "x.npy"), x)
    np.save(os.path.join(tmp, "y.npy"), y)
    epochs, batch, layers = 5, 128, [128, 128]
    print(f"MLP {nf}-{'-'.join(map(str, layers))}-{nc}, relu, Adam lr 1e-3, batch {batch}, {epochs} epochs, "
          f"{ntr} training rows, {nte} test rows (features already standardised: tfckpt --no-normalize)")
    print("| threads | tfckpt train samples/s | accuracy | Keras fit samples/s | accuracy | ratio |\n|---|---|---|---|---|---|")
    for threads in (1, 2):
        out = os.path.join(tmp, f"m{threads}")
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
        t = time.perf_counter()
        subprocess.run([BIN, "train", "--data", tr, "--label", "label", "--layers", ",".join(map(str, layers)),
                        "--activation", "relu", "--optimizer", "adam", "--lr", "0.001", "--epochs", str(epochs),
                        "--batch-size", str(batch), "--threads", str(threads), "--no-normalize", "--out", out],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        tt = time.perf_counter() - t
        ev = json.loads(subprocess.run([BIN, "evaluate", "--model", out, "--data", te, "--json"], check=True,
                                       capture_output=True, text=True).stdout)
        k = tf_json(f"""
import time, json, numpy as np
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads({threads})
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras
keras.utils.set_random_seed(42)
x = np.load({os.path.join(tmp, 'x.npy')!r}); y = np.load({os.path.join(tmp, 'y.npy')!r})
m = keras.Sequential([keras.Input(({nf},))] + [keras.layers.Dense(u, activation="relu") for u in {layers}] + [keras.layers.Dense({nc})])
m.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
t = time.perf_counter()
m.fit(x[:{ntr}], y[:{ntr}], batch_size={batch}, epochs={epochs}, shuffle=True, verbose=0)
dt = time.perf_counter() - t
acc = m.evaluate(x[{ntr}:], y[{ntr}:], verbose=0)[1]
print(json.dumps({{"t": dt, "acc": acc, "keras": keras.__version__}}))""", threads)
        sps_t, sps_k = ntr * epochs / tt, ntr * epochs / k["t"]
        print(f"| {threads} | {sps_t:,.0f} | {ev['accuracy']:.4f} | {sps_k:,.0f} | {k['acc']:.4f} | {sps_t / sps_k:.2f}x |")
    print(f"(tfckpt: whole process incl. CSV parsing; Keras {k['keras']}: model.fit only, data in memory)")


if __name__ == "__main__":
    main()
