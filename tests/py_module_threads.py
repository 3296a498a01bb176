"""One tfckpt Reader shared by Python threads (python/tfckptmodule.c).

Values read by every thread equal a single-threaded read, and each exception
names the calling thread's own tensor:
  * unknown names ("missing-<thread>-<i>") raise KeyError; the module builds
    that message with the GIL held, so this checks the message is taken from
    the right call even as threads switch between calls;
  * a copy of the fixture with every data byte changed makes each read fail
    its checksum while the GIL is released (Py_BEGIN_ALLOW_THREADS around
    tfckpt_reader_get_tensor), so several threads fail inside the library at
    once and each CorruptCheckpointError must quote that thread's tensor,
    which only per-thread error messages guarantee.
"""
import os
import shutil
import sys
import tempfile
import threading

BUILD = os.environ.get("TFCKPT_BUILD", os.path.join(os.path.dirname(__file__), "..", "build"))
PYDIR = os.path.join(BUILD, "python")


def preload_sanitizers():
    """Modules built with -DTFCKPT_SANITIZE=ON need their runtimes loaded
    before the interpreter starts (same arrangement as py_module.py)."""
    listing = os.path.join(PYDIR, "sanitizer_preload.txt")
    if not os.path.exists(listing) or os.environ.get("TFCKPT_PY_PRELOADED"):
        return
    preload = open(listing).read().split()
    if os.environ.get("LD_PRELOAD"):
        preload.append(os.environ["LD_PRELOAD"])
    asan = os.environ.get("ASAN_OPTIONS", "")
    # sanitized runs are several times slower: the quick workload
    env = dict(os.environ, TFCKPT_PY_PRELOADED="1", LD_PRELOAD=" ".join(preload), TFCKPT_QUICK="1",
               # CPython keeps objects alive until exit by design
               ASAN_OPTIONS=(asan + ":detect_leaks=0").lstrip(":"))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


preload_sanitizers()
sys.path.insert(0, PYDIR)

import numpy as np  # noqa: E402

try:
    import tfckpt  # noqa: E402
except ImportError as e:
    import sysconfig
    if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
        print(f"FAIL: cannot import tfckpt from {PYDIR}: {e}")
        sys.exit(1)
    print(f"SKIP: tfckpt module not built (no Python.h): {e}")
    sys.exit(0)

FIX = os.path.join(os.environ["TFCKPT_FIXTURES"], "tf1_sharded_t2t_transformer")
QUICK = os.environ.get("TFCKPT_QUICK", "0") not in ("", "0")
NTHREADS = 6
ROUNDS = 3 if QUICK else 12

lock = threading.Lock()
checks = 0
failures = []


def check(cond, what):
    global checks
    with lock:
        checks += 1
        if not cond:
            failures.append(what)
            print("FAIL", what, flush=True)
    return cond


def run_threads(target):
    start = threading.Barrier(NTHREADS)

    def body(tid):
        start.wait()
        try:
            target(tid)
        except Exception as e:  # an unexpected exception fails the test, not the thread silently
            check(False, f"thread {tid}: {type(e).__name__}: {e}")
    ts = [threading.Thread(target=body, args=(t,)) for t in range(NTHREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def expect_error(exc, fn, needle, what):
    try:
        fn()
    except exc as e:
        msg = e.args[0] if e.args else ""
        return check(isinstance(msg, str) and needle in msg, f"{what}: message {msg!r} lacks {needle!r}")
    except Exception as e:
        return check(False, f"{what}: expected {exc.__name__}, got {type(e).__name__}: {e}")
    return check(False, f"{what}: expected {exc.__name__}, nothing raised")


def main():
    ref = tfckpt.load_checkpoint(FIX)
    names = sorted(ref.get_variable_to_shape_map())
    want = {n: np.asarray(ref.get_tensor(n)).tobytes() for n in names}
    check(len(names) == 250, f"{len(names)} variables")

    shared = tfckpt.load_checkpoint(FIX)

    def good_and_missing(tid):
        for rnd in range(ROUNDS):
            for i in range(tid, len(names), 3):
                n = names[i]
                check(np.asarray(shared.get_tensor(n)).tobytes() == want[n], f"thread {tid}: {n} differs")
                bad = f"missing-{tid}-{rnd}-{i}"
                # quoted, so "missing-1-0-1" cannot match a message about "missing-1-0-10"
                expect_error(KeyError, lambda: shared.get_tensor(bad), f'"{bad}"', f"thread {tid}")
    run_threads(good_and_missing)
    print(f"ok {NTHREADS} threads: values and KeyError messages ({checks} checks)")

    with tempfile.TemporaryDirectory(prefix="tfckpt_pythreads_") as tmp:
        for f in os.listdir(FIX):
            src, dst = os.path.join(FIX, f), os.path.join(tmp, f)
            if ".data-" in f:
                data = np.fromfile(src, dtype=np.uint8) ^ np.uint8(0x5A)
                data.tofile(dst)
            else:
                shutil.copyfile(src, dst)
        broken = tfckpt.load_checkpoint(tmp)
        stored = [n for n in names if want[n]]  # empty tensors have nothing to corrupt
        before = checks

        def corrupt(tid):
            for _ in range(ROUNDS):
                for i in range(tid, len(stored), NTHREADS):
                    n = stored[i]
                    expect_error(tfckpt.CorruptCheckpointError, lambda: broken.get_tensor(n), f'"{n}"',
                                 f"thread {tid}: {n}")
        run_threads(corrupt)
        broken.close()
        print(f"ok {NTHREADS} threads: checksum errors raised without the GIL name their own tensor "
              f"({checks - before} checks)")

    print(f"py_module_threads: {checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
