#!/usr/bin/python3
"""Builds the seed corpora of the fuzz targets (fuzz/targets.h) in OUT_DIR.

    /usr/bin/python3 scripts/fuzz_seeds.py FIXTURES_DIR OUT_DIR

One folder per target.  Seeds are cut from the shared fixtures (index files,
the bundle entries and protos inside them, V1 files, object graphs, graphs,
state files) and generated (CSV/TXT/LibSVM text, npy/npz/safetensors files),
so nothing large is committed.  Inputs above MAX_SEED (MAX_SEED_OF) bytes are skipped; the
fuzzers run with -max_len no smaller than that.
"""
import io
import json
import os
import struct
import sys
import zipfile

MAX_SEED = 64 * 1024
MAX_SEED_OF = {"metagraph": 256 * 1024}
MAGIC = 0xDB4775248B80FB57


def varint(b, p):
    v = s = 0
    while True:
        c = b[p]
        p += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, p


def put_varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def block_entries(b, off, size):
    """Entries of an uncompressed table block (None when compressed)."""
    if b[off + size] != 0:
        return None
    blk = b[off:off + size]
    nrest = struct.unpack_from("<I", blk, len(blk) - 4)[0]
    end = len(blk) - 4 - 4 * nrest
    p, key, out = 0, b"", []
    while p < end:
        shared, p = varint(blk, p)
        nonshared, p = varint(blk, p)
        vlen, p = varint(blk, p)
        key = key[:shared] + blk[p:p + nonshared]
        p += nonshared
        out.append((key, blk[p:p + vlen]))
        p += vlen
    return out


def table_entries(b):
    """(key, value) pairs of a table file, [] if anything is unusual."""
    try:
        if len(b) < 48 or struct.unpack_from("<Q", b, len(b) - 8)[0] != MAGIC:
            return []
        p = len(b) - 48
        _, p = varint(b, p)
        _, p = varint(b, p)
        ioff, p = varint(b, p)
        isize, p = varint(b, p)
        out = []
        for _, h in block_entries(b, ioff, isize) or []:
            off, q = varint(h, 0)
            size, _ = varint(h, q)
            out.extend(block_entries(b, off, size) or [])
        return out
    except (IndexError, struct.error):
        return []


def entry_fields(v):
    """offset, size, shard of a BundleEntryProto."""
    p, f = 0, {}
    while p < len(v):
        tag, p = varint(v, p)
        wt = tag & 7
        if wt == 0:
            val, p = varint(v, p)
            f[tag >> 3] = val
        elif wt == 2:
            n, p = varint(v, p)
            p += n
        elif wt == 5:
            p += 4
        elif wt == 1:
            p += 8
        else:
            break
    return f.get(4, 0), f.get(5, 0), f.get(6, 0)


def pb_fields(v):
    """(field, wiretype, value-bytes-or-int) of a message, best effort."""
    p, out = 0, []
    while p < len(v):
        tag, p = varint(v, p)
        wt = tag & 7
        if wt == 0:
            val, p = varint(v, p)
        elif wt == 2:
            n, p = varint(v, p)
            val = v[p:p + n]
            p += n
        elif wt == 5:
            val = v[p:p + 4]
            p += 4
        elif wt == 1:
            val = v[p:p + 8]
            p += 8
        else:
            break
        out.append((tag >> 3, wt, val))
    return out


class Corpus:
    def __init__(self, root):
        self.root = root
        self.count = {}

    def add(self, target, data, tag):
        if len(data) > MAX_SEED_OF.get(target, MAX_SEED):
            return
        d = os.path.join(self.root, target)
        os.makedirs(d, exist_ok=True)
        n = self.count.get(target, 0)
        self.count[target] = n + 1
        with open(os.path.join(d, "%04d-%s" % (n, tag)), "wb") as f:
            f.write(data)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def from_fixtures(fx, c):
    for dirpath, _, files in sorted(os.walk(fx)):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            tag = os.path.basename(dirpath)[:24]
            if name == "checkpoint":
                c.add("state", read(path), tag)
            elif name.endswith(".meta"):
                c.add("metagraph", b"\x01" + read(path), tag)
            elif name == "saved_model.pb":
                c.add("metagraph", b"\x02" + read(path), tag)
            elif name.endswith(".index"):
                b = read(path)
                c.add("table", b, tag)
                ents = table_entries(b)
                for i, (k, v) in enumerate(ents[:40]):
                    c.add("bundle", (b"\x01" if k == b"" else b"\x00") + v, tag)
                prefix = path[:-len(".index")]
                data0 = prefix + ".data-00000-of-00001"
                if os.path.exists(data0):
                    d = read(data0)
                    if len(d) + len(b) + 2 <= MAX_SEED and len(d) < 65536:
                        c.add("reader", struct.pack("<H", len(d)) + d + b, tag)
                    for k, v in ents:
                        if k == b"_CHECKPOINTABLE_OBJECT_GRAPH":
                            off, size, _ = entry_fields(v)
                            raw = d[off:off + size]
                            n, p = varint(raw, 0)
                            c.add("objgraph", raw[p + 4:p + 4 + n], tag)
                            c.add("bundle", b"\x04\x01" + v[:0] + b"\0\0\0\0" + raw, tag)
            elif name.startswith("export") and "." not in name or name == "model.ckpt" or \
                    name.startswith("model.ckpt-5"):
                b = read(path)
                if struct.unpack_from("<Q", b, len(b) - 8)[0] != MAGIC:
                    continue
                c.add("v1_file", b, tag)
                c.add("table", b, tag)
                for i, (k, v) in enumerate(table_entries(b)[:12]):
                    c.add("v1", (b"\x00" if k == b"" else b"\x01") + v, tag)
                    for fnum, wt, val in pb_fields(v):
                        if fnum == 2 and wt == 2:  # data: SavedSlice
                            for f2, w2, v2 in pb_fields(val):
                                if f2 == 3 and w2 == 2:  # TensorProto
                                    c.add("v1", b"\x02\x01" + v2, tag)


def generated(c):
    # state files
    c.add("state", b'model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-1"\n'
          b'all_model_checkpoint_paths: "ckpt-3"\nall_model_checkpoint_timestamps: 1.5e9\n'
          b'last_preserved_timestamp: 1.0\n', "gen")
    c.add("state", b'# comment\nmodel_checkpoint_path: "a\\"b\\\\c\\n\\x41\\101"\n', "esc")
    # CSV/TXT/LibSVM: selector byte chooses format/header/options (targets.h)
    c.add("data", b"\x00a,b,label\n1,2,0\n3.5,-4e3,1\n\"5\",6,1\n", "csv")
    c.add("data", b"\x08" + b"150,4,setosa,versicolor,virginica\n5.1,3.5,1.4,0.2,0\n4.9,3,1.4,.2,2\n",
          "sklearn")
    c.add("data", b"\x91" + b"1 2 3\n4\tNA 6\n# c\n\n7 8 9\n", "txt")
    c.add("data", b"\x02" + b"1 1:0.5 3:2\n0 2:1e-3\n-1 1:1 4:4 # x\n", "svm")
    c.add("data", b"\x62" + b"+1 qid:3 1:0.5 10:2\n0 0:1\n", "svm0")
    c.add("data", b"\x03" + b"x;y\n1;2\n", "auto")
    # npy / npz / safetensors (selector byte = file name; the reader sniffs)
    try:
        import numpy as np
    except ImportError:
        np = None
    if np is not None:
        arrs = {"w": np.arange(6, dtype="<f4").reshape(2, 3), "b": np.array([1, 2], dtype="<i8"),
                "s": np.float64(3.5), "h": np.ones((2, 2), dtype="<f2"), "m": np.array([True])}
        bio = io.BytesIO()
        np.save(bio, arrs["w"])
        c.add("arrays", b"\x01" + bio.getvalue(), "npy")
        bio = io.BytesIO()
        np.save(bio, np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)))
        c.add("arrays", b"\x01" + bio.getvalue(), "npyF")
        bio = io.BytesIO()
        np.savez(bio, **arrs)
        c.add("arrays", b"\x00" + bio.getvalue(), "npz")
        bio = io.BytesIO()
        np.savez_compressed(bio, **arrs)
        c.add("arrays", b"\x00" + bio.getvalue(), "npzc")
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w") as z:
        z.writestr("x.npy", b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, "
                   b"'shape': (1,), }" + b" " * 69 + b"\n" + b"\0\0\x80\x3f")
    c.add("arrays", b"\x00" + bio.getvalue(), "zip")
    hdr = {"__metadata__": {"format": "pt"},
           "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
           "b": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]},
           "c": {"dtype": "I64", "shape": [], "data_offsets": [22, 30]}}
    hj = json.dumps(hdr).encode()
    hj += b" " * (-len(hj) % 8)
    c.add("arrays", b"\x02" + struct.pack("<Q", len(hj)) + hj + bytes(range(30)), "st")
    # JSON: byte 0 even = parse + round trip (bit 1: skip containers), odd =
    # the string writers on raw bytes (bit 1: binary mode)
    c.add("json", b"\x00" + hj.rstrip(b" "), "st")
    c.add("json", b"\x02" + json.dumps({
        "format": "tfckpt-model", "version": 1, "input_width": 4, "l2": 1e-4, "seed": 18446744073709551615,
        "label": "caf\u00e9", "class_names": ["a", None, "\ud83d\ude00"],
        "layers": [{"type": "dense", "units": 3, "use_bias": True}],
        "optimizer": {"boundaries": [-9223372036854775808, 0], "values": [0.1, -0.0, 2.5e-308]}},
        indent=1).encode(), "model")
    c.add("json", b"\x00" + b'[0,-0,1.5e300,4.9e-324,18446744073709551616,"\\u0000\\"\\\\\\/\\b\\f\\n\\r\\t",'
          b'true,false,null,{},[],{"a":{"a":[[[]]]}}]', "edge")
    c.add("json", b"\x00" + b"[" * 64 + b"]" * 64, "deep")
    c.add("json", b"\x01" + "caf\u00e9/k\"\\\x01\x7f".encode() + b"\xff\xc3\xed\xa0\x80", "name")
    c.add("json", b"\x03" + bytes(range(256)), "bytes")
    # bundle: a hand-made entry with slices and a variant tensor
    slice_ = b"\x0a\x04\x08\x00\x10\x02" + b"\x0a\x00"
    entry = b"\x08\x01" + b"\x12\x06\x12\x02\x08\x04\x12\x00" + b"\x20\x00\x28\x10" + \
        b"\x3d\x01\x02\x03\x04" + b"\x3a" + put_varint(len(slice_)) + slice_
    c.add("bundle", b"\x00" + entry, "gen")
    c.add("bundle", b"\x03" + slice_, "slice")
    c.add("bundle", b"\x02" + b"\x12\x02\x08\x03\x12\x02\x08\xff\x01", "shape")
    c.add("bundle", b"\x05\x02\0\0\0\0" + b"\x03abc\0\0\0\0\x01z\0\0\0\0", "variant")


def main():
    fx, out = sys.argv[1], sys.argv[2]
    c = Corpus(out)
    from_fixtures(fx, c)
    generated(c)
    for t in sorted(c.count):
        print("%-10s %4d seeds" % (t, c.count[t]))


if __name__ == "__main__":
    main()
