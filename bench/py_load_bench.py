"""Loading every tensor of a 1 GiB checkpoint into numpy with the tfckpt module,
against numpy.fromfile reading the same data file, in one run.

  PYTHONPATH=build/python /usr/bin/python3 bench/py_load_bench.py [--mib N] [--repeat R]

Writes the checkpoint with tfckpt.save into a temporary directory (64 float32
tensors of N/64 MiB), reads it once to warm the page cache (every variant below
then reads from memory, as a notebook re-running a cell does), times each
variant R times and prints the best, then deletes the files.

  fromfile        np.fromfile(data file, uint8): one read() into a new 1 GiB array
  fromfile/tensor np.fromfile(f, float32, count) per tensor at its offset (needs the
                  CLI for offsets: TFCKPT_BIN=build/tfckpt)
  tfckpt copy     np.array(reader.get_tensor(name)) for every tensor (a second copy)
  tfckpt get      reader.get_tensor(name) for every tensor: pread straight into
                  the new array, CRC32C on the bytes read (one copy; before the
                  robustness fix this was a zero-copy view of a mapping)
  tfckpt open+get as above including load_checkpoint (index read + opening
                  the data file)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("TFCKPT_PYTHONPATH", os.path.join(here, "..", "build", "python")))
import tfckpt  # noqa: E402

# Optional: the CLI gives the tensors' offsets for the per-tensor fromfile row.
BIN = os.environ.get("TFCKPT_BIN") or shutil.which("tfckpt")


def best_of(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where to write the checkpoint (default: a temp dir)")
    args = ap.parse_args()
    ntensors = 64
    per = args.mib * (1 << 20) // ntensors // 4  # float32 elements per tensor
    tmp = tempfile.mkdtemp(prefix="tfckpt_bench_", dir=args.dir)
    try:
        prefix = os.path.join(tmp, "model.ckpt-1")
        rng = np.random.default_rng(0)
        block = rng.standard_normal(per, dtype=np.float32).reshape(-1, 1024)

        # save() takes any object with items(); pairs are consumed one by one.
        class Lazy:
            def items(self):
                for i in range(ntensors):
                    yield f"layer_{i:02d}/kernel", block
        t0 = time.perf_counter()
        tfckpt.save(Lazy(), prefix)
        t_save = time.perf_counter() - t0
        data = prefix + ".data-00000-of-00001"
        nbytes = os.path.getsize(data)
        gb = nbytes / 1e9
        print(f"checkpoint: {ntensors} float32 tensors, {nbytes / (1 << 20):.0f} MiB data "
              f"(tfckpt.save: {t_save:.2f} s, {gb / t_save:.2f} GB/s incl. CRC and fsync)")

        names = [n for n, _ in tfckpt.list_variables(prefix)]
        np.fromfile(data, dtype=np.uint8)  # warm the page cache

        def fromfile():
            a = np.fromfile(data, dtype=np.uint8)
            assert a.size == nbytes

        reader = tfckpt.load_checkpoint(prefix)
        ls = subprocess.run([BIN, "ls", "--json", prefix], stdout=subprocess.PIPE, text=True) \
            if BIN else None
        offsets = [(e["offset"], e["elements"]) for e in json.loads(ls.stdout)] if ls else None

        def fromfile_each():
            # the same per-tensor pattern as "tfckpt copy": one new array per tensor
            with open(data, "rb") as f:
                for off, count in offsets:
                    f.seek(off)
                    a = np.fromfile(f, dtype=np.float32, count=count)
                    assert a.size == count

        def copies():
            for n in names:
                a = np.array(reader.get_tensor(n))
                assert a.flags.owndata

        def views():
            for n in names:
                reader.get_tensor(n)

        def open_views():
            with tfckpt.load_checkpoint(prefix) as r:
                for n in names:
                    r.get_tensor(n)

        rows = [("numpy.fromfile", fromfile)]
        if offsets:
            rows.append(("fromfile/tensor", fromfile_each))
        rows += [("tfckpt copy", copies), ("tfckpt get", views), ("tfckpt open+get", open_views)]
        times = {}
        for label, fn in rows:
            times[label] = best_of(fn, args.repeat)
        base = times["numpy.fromfile"]
        print(f"{'variant':<18} {'time':>8} {'GB/s':>7} {'vs fromfile':>12}")
        for label, _ in rows:
            t = times[label]
            print(f"{label:<18} {t * 1e3:7.0f}ms {gb / t:7.2f} {base / t:11.2f}x")
        reader.close()
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
