"""Files that change or are not what they seem (robustness issue, items 3, 4, 6, 10):

* truncation: a data file truncated while the CLI reads it (`dump -o`, `stats`,
  `verify`, `show`, `export`) must end with exit status 1 and an error naming the
  file, never a signal, and `dump -o` must leave no temporary file; in the Python
  module an array obtained before the truncation stays valid to touch, later reads
  raise CorruptCheckpointError("... truncated while reading ...");
* FIFOs: a FIFO as a data file, as the only *.index of a directory and as the
  `checkpoint` file must be refused at once (every command runs under `timeout 10`:
  a hang fails the test instead of blocking it);
* a directory or /dev/zero as a data file, and a path longer than the message
  buffer, must keep the reason in the message;
* stale reader: a reader opened before `tfckpt set --in-place` reads the old values,
  without a checksum error; listing works with the data file moved away.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("TFCKPT_BUILD", os.path.join(os.path.dirname(__file__), "..", "build"))
PYDIR = os.path.join(BUILD, "python")


def reexec_with_sanitizer_runtimes():
    """A -DTFCKPT_SANITIZE=ON module needs libasan/libubsan loaded first."""
    pre = os.path.join(PYDIR, "sanitizer_preload.txt")
    if not os.path.exists(pre) or os.environ.get("TFCKPT_PY_PRELOADED"):
        return
    libs = open(pre).read().split()
    env = dict(os.environ, TFCKPT_PY_PRELOADED="1",
               LD_PRELOAD=" ".join(libs + [os.environ.get("LD_PRELOAD", "")]).strip(),
               ASAN_OPTIONS=(os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":"))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


reexec_with_sanitizer_runtimes()
sys.path.insert(0, PYDIR)
import numpy as np  # noqa: E402

try:
    import tfckpt  # noqa: E402
except ImportError as e:
    print(f"SKIP: tfckpt module not built: {e}")
    sys.exit(0)

BIN = os.environ["TFCKPT_BIN"]
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL {what}")


def cli(*args, env=None):
    """Runs the CLI under timeout 10; the child's environment drops LD_PRELOAD
    (the sanitizer runtimes are linked into the binary itself)."""
    e = dict(os.environ)
    e.pop("LD_PRELOAD", None)
    return subprocess.run(["timeout", "10", BIN] + list(args), capture_output=True, text=True, env=e)


def no_signal(p, what):
    check(p.returncode not in (124, 137) and p.returncode >= 0 and p.returncode < 128,
          f"{what}: exit status {p.returncode} (signal or hang?) stderr={p.stderr[-300:]!r}")


def write_big(prefix, n_tensors=4, elems=16 << 20):
    tensors = {f"t{i}": np.full(elems, float(i + 1), dtype=np.float32) for i in range(n_tensors)}
    tfckpt.save(tensors, prefix)
    return prefix + ".data-00000-of-00001"


def truncation_cli(tmp):
    """The CLI reading a data file that another process truncates."""
    prefix = os.path.join(tmp, "big", "model.ckpt")
    os.makedirs(os.path.dirname(prefix))
    outdir = os.path.join(tmp, "out")
    os.makedirs(outdir)
    ran = 0
    for cmd, delay in (("dump", 0.3), ("stats", 0.05), ("verify", 0.0), ("show", 0.0), ("export", 0.0)):
        data = write_big(prefix)
        size = os.path.getsize(data)
        out = os.path.join(outdir, "dump.txt" if cmd == "dump" else "x.npz")
        args = {"dump": ["dump", prefix, "-o", out], "stats": ["stats", prefix],
                "verify": ["verify", prefix], "show": ["show", prefix, "t3"],
                "export": ["export", prefix, "--format", "npz", "-o", out]}[cmd]
        e = dict(os.environ)
        e.pop("LD_PRELOAD", None)
        p = subprocess.Popen(["timeout", "20", BIN] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=e)
        time.sleep(delay)
        os.truncate(data, size // 3)
        sout, err = p.communicate()
        if cmd == "verify":
            err += sout[-2000:]  # FAILED lines go to stdout
        ran += 1
        check(p.returncode >= 0 and p.returncode not in (124,),
              f"{cmd} while truncating: killed by signal {-p.returncode if p.returncode < 0 else p.returncode}")
        if p.returncode != 0:
            check(p.returncode == 1, f"{cmd}: exit status {p.returncode}, expected 1")
            check("model.ckpt" in err and ("truncated while reading" in err or "points past the end" in err),
                  f"{cmd}: the error names the file and the truncation: {err[-400:]!r}")
        if cmd == "dump":
            check(p.returncode == 1, f"dump of 256 MiB takes longer than 0.3 s: it must see the truncation ({p.returncode})")
            check("truncated while reading" in err, f"dump: {err[-300:]!r}")
        left = [f for f in os.listdir(outdir) if not (f in ("dump.txt", "x.npz") and p.returncode == 0)]
        check(left == [], f"{cmd}: temporary files left: {left}")
        for f in os.listdir(outdir):
            os.unlink(os.path.join(outdir, f))
    return ran


def truncation_python(tmp):
    prefix = os.path.join(tmp, "py", "model.ckpt")
    os.makedirs(os.path.dirname(prefix))
    data = write_big(prefix, n_tensors=3, elems=1 << 20)
    r = tfckpt.load_checkpoint(prefix)
    a = r.get_tensor("t0")
    os.truncate(data, 0)
    check(float(a.sum()) == float(1 << 20), "an array read before the truncation is still valid to touch")
    a[:] = 7  # and to write
    check(float(a[-1]) == 7.0, "writable")
    try:
        r.get_tensor("t2")
        check(False, "a read after the truncation raises")
    except tfckpt.CorruptCheckpointError as e:
        check("truncated while reading" in str(e) and "model.ckpt.data-00000-of-00001" in str(e),
              f"the message names the file: {e}")
    r.close()
    return 2


def fifos(tmp):
    src = os.path.join(tmp, "src", "model.ckpt")
    os.makedirs(os.path.dirname(src))
    tfckpt.save({"w": np.arange(10, dtype=np.float32)}, src)
    cases = 0
    # 1. a FIFO as the data file
    d1 = os.path.join(tmp, "fifo_data")
    os.makedirs(d1)
    os.link(src + ".index", os.path.join(d1, "model.ckpt.index"))
    os.mkfifo(os.path.join(d1, "model.ckpt.data-00000-of-00001"))
    for cmd in (["verify"], ["show"], ["dump"], ["stats"]):
        args = cmd + [os.path.join(d1, "model.ckpt")] + (["w"] if cmd == ["show"] else [])
        p = cli(*args)
        cases += 1
        no_signal(p, f"{cmd[0]} with a FIFO data file")
        check(p.returncode == 1 and "not a regular file (a FIFO)" in p.stdout + p.stderr,
              f"{cmd[0]}: FIFO data file refused: {p.returncode} {(p.stdout + p.stderr)[-300:]!r}")
    p = cli("ls", os.path.join(d1, "model.ckpt"))
    cases += 1
    check(p.returncode == 0 and "w" in p.stdout, "ls works with a FIFO data file (listing reads no data)")
    # 2. the only *.index of a directory is a FIFO
    d2 = os.path.join(tmp, "fifo_index")
    os.makedirs(d2)
    os.mkfifo(os.path.join(d2, "model.ckpt.index"))
    for args in (["ls", d2], ["ls", os.path.join(d2, "model.ckpt")], ["ls", os.path.join(d2, "model.ckpt.index")]):
        p = cli(*args)
        cases += 1
        no_signal(p, f"{args}: FIFO index")
        check(p.returncode == 1, f"{args}: FIFO index refused ({p.returncode}: {p.stderr[-200:]!r})")
    check("not a regular file (a FIFO)" in cli("ls", os.path.join(d2, "model.ckpt.index")).stderr,
          "a FIFO named .index says what it is")
    # 3. the `checkpoint` file is a FIFO
    d3 = os.path.join(tmp, "fifo_state")
    os.makedirs(d3)
    for ext in (".index", ".data-00000-of-00001"):
        os.link(src + ext, os.path.join(d3, "model.ckpt" + ext))
    os.mkfifo(os.path.join(d3, "checkpoint"))
    for cmd in ("ls", "verify", "history"):
        p = cli(cmd, d3)
        cases += 1
        no_signal(p, f"{cmd} with a FIFO checkpoint file")
        check(p.returncode == 1 and "checkpoint: not a regular file (a FIFO)" in p.stderr,
              f"{cmd}: FIFO state file refused: {p.stderr[-200:]!r}")
    # the Python module, in a child so that a hang fails instead of blocking
    code = ("import sys, tfckpt\n"
            "for p in sys.argv[1:]:\n"
            "    try:\n"
            "        r = tfckpt.load_checkpoint(p); r.get_tensor('w'); print('NOERROR', p)\n"
            "    except Exception as e:\n"
            "        print(type(e).__name__, e)\n")
    e = dict(os.environ, PYTHONPATH=PYDIR)
    p = subprocess.run(["timeout", "10", sys.executable, "-c", code, os.path.join(d1, "model.ckpt"), d2, d3],
                       capture_output=True, text=True, env=e)
    cases += 3
    check(p.returncode == 0 and "NOERROR" not in p.stdout and p.stdout.count("FIFO") == 2,
          f"Python module on the FIFOs: {p.returncode} {p.stdout!r} {p.stderr[-300:]!r}")
    # 10. a directory, /dev/zero, and a very long path as the data file
    d4 = os.path.join(tmp, "special")
    os.makedirs(d4)
    os.link(src + ".index", os.path.join(d4, "a.index"))
    os.makedirs(os.path.join(d4, "a.data-00000-of-00001"))
    os.link(src + ".index", os.path.join(d4, "b.index"))
    os.symlink("/dev/zero", os.path.join(d4, "b.data-00000-of-00001"))
    longdir = os.path.join(d4, *(["x" * 200] * 8))
    os.makedirs(longdir)
    os.link(src + ".index", os.path.join(longdir, "c.index"))
    os.makedirs(os.path.join(longdir, "c.data-00000-of-00001"))
    for pfx, want in (("a", "is a directory"), ("b", "not a regular file (a character device)"),
                      (os.path.join(longdir, "c"), "is a directory")):
        p = cli("show", os.path.join(d4, pfx), "w")
        cases += 1
        check(p.returncode == 1 and want in p.stderr and "invalid argument" not in p.stderr,
              f"data file {pfx[-20:]}: {want}: {p.stderr[-300:]!r}")
    check("c.data-00000-of-00001: is a directory" in cli("show", os.path.join(longdir, "c"), "w").stderr,
          "a long path keeps its end and the reason")
    return cases


def stale_reader(tmp):
    prefix = os.path.join(tmp, "stale", "model.ckpt")
    os.makedirs(os.path.dirname(prefix))
    old = {"a": np.arange(1000, dtype=np.float32), "b": np.full((30, 7), 2.5, dtype=np.float64),
           "c": np.arange(5, dtype=np.int64)}
    tfckpt.save(old, prefix)
    r = tfckpt.load_checkpoint(prefix)
    npy = os.path.join(tmp, "new_a.npy")
    np.save(npy, np.arange(1000, dtype=np.float32)[::-1].copy() * 3)
    p = cli("set", "--in-place", prefix, "a", npy)
    check(p.returncode == 0, f"set --in-place: {p.stderr[-300:]!r}")
    n = 0
    for name, want in old.items():
        n += 1
        try:
            got = r.get_tensor(name)
            check(np.array_equal(got, want), f"old reader after set --in-place: {name} has the old values")
        except Exception as e:
            check(False, f"old reader after set --in-place: {name}: {e}")
    p = cli("verify", prefix)
    check(p.returncode == 0, "the rewritten checkpoint verifies")
    fresh = tfckpt.load_checkpoint(prefix)
    check(float(fresh.get_tensor("a")[0]) == 2997.0, "a new reader sees the new value")
    # a different checkpoint saved to the same prefix (other sizes and offsets)
    tfckpt.save({"c": np.arange(50, dtype=np.int64), "a": np.zeros(3, dtype=np.float32)}, prefix)
    for name, want in old.items():
        n += 1
        check(np.array_equal(r.get_tensor(name), want), f"old reader after a new save: {name}")
    r.close()
    fresh.close()
    # listing works without the data file
    os.rename(prefix + ".data-00000-of-00001", prefix + ".moved")
    p = cli("ls", prefix)
    n += 1
    check(p.returncode == 0 and "c" in p.stdout, f"ls with the data file moved away: {p.stderr!r}")
    p = cli("show", prefix, "c")
    check(p.returncode == 1 and "data file missing" in p.stderr, f"show without data file: {p.stderr!r}")
    return n


def main():
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="tfckpt-fchg-", dir=base) as tmp:
        n_tr = truncation_cli(tmp)
        print(f"ok truncation while the CLI reads: {n_tr} commands")
        n_py = truncation_python(tmp)
        print(f"ok truncation under the Python module: {n_py} cases")
        n_ff = fifos(tmp)
        print(f"ok FIFOs, directories, devices, long paths: {n_ff} cases")
        n_st = stale_reader(tmp)
        print(f"ok stale reader: {n_st} cases")
    print(f"{checks} checks, {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
