/* The fuzz targets, one function per parser.  Shared by the libFuzzer
 * harnesses (fuzz/fuzz_<name>.c, one LLVMFuzzerTestOneInput each) and by
 * tests/test_fuzz_regress.c, which replays the committed crash inputs of
 * tests/regress/<name>/ through exactly the same code in the ordinary build.
 *
 * Every target feeds the bytes to the parser, then walks every result it got
 * (touching every byte a returned tensor claims to own, so ASan sees a bad
 * view) and frees it.  A target never judges the parser's verdict, only that
 * it returns: crashes, leaks, hangs and huge allocations are the bugs.
 *
 * Parsers that only open paths get their input through files in a private
 * temporary directory (fz_dir, made once per process, tmpfs when available). */
#ifndef TFCKPT_FUZZ_TARGETS_H
#define TFCKPT_FUZZ_TARGETS_H

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/bundle.h"
#include "format/metagraph.h"
#include "format/state.h"
#include "format/table.h"
#include "format/v1.h"
#include "tfckpt/convert.h"
#include "tfckpt/data.h"
#include "tfckpt/internal/json.h"
#include "tfckpt/objgraph.h"
#include "tfckpt/reader.h"
#include "tfckpt/tensor.h"

/* Caps that keep one input's work bounded (the parsers must bound their own
 * allocations; these only bound how much of a valid result we walk). */
#define FZ_MAX_ITEMS 512

static char fz_dir_buf[256];

/* Removes the scratch directory and its (flat) contents at exit. */
static inline void fz_cleanup(void) {
  DIR *d = opendir(fz_dir_buf);
  if (d) {
    struct dirent *de;
    char p[512];
    while ((de = readdir(d)))
      if (de->d_name[0] != '.') {
        snprintf(p, sizeof p, "%s/%s", fz_dir_buf, de->d_name);
        unlink(p);
      }
    closedir(d);
  }
  rmdir(fz_dir_buf);
}

/* The process's scratch directory; the harness owns it for its lifetime. */
static inline const char *fz_dir(void) {
  if (!fz_dir_buf[0]) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fz_dir_buf, sizeof fz_dir_buf, "%s/tfckpt-fuzz-XXXXXX", base);
    if (!mkdtemp(fz_dir_buf)) abort();
    atexit(fz_cleanup);
  }
  return fz_dir_buf;
}

static inline void fz_path(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", fz_dir(), name);
}

static inline void fz_write(const char *path, const uint8_t *data, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) abort();
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w <= 0) abort();
    data += w;
    n -= (size_t)w;
  }
  close(fd);
}

/* Reads every byte a tensor claims (and every string element). */
static inline unsigned fz_touch_tensor(const tfckpt_tensor *t) {
  unsigned acc = 0;
  int64_t n = tfckpt_tensor_num_elements(t);
  int rank = tfckpt_tensor_rank(t);
  const int64_t *dims = tfckpt_tensor_dims(t);
  for (int i = 0; i < rank; i++) acc += (unsigned)dims[i];
  if (tfckpt_tensor_dtype(t) == TFCKPT_STRING || tfckpt_tensor_dtype(t) == TFCKPT_VARIANT) {
    for (int64_t i = 0; i < n && i < 4096; i++) {
      const uint8_t *p;
      size_t len;
      if (tfckpt_tensor_get_string(t, i, &p, &len) == TFCKPT_OK)
        for (size_t k = 0; k < len; k++) acc += p[k];
    }
    return acc;
  }
  const uint8_t *p = tfckpt_tensor_data(t);
  size_t nb = tfckpt_tensor_nbytes(t);
  for (size_t k = 0; k < nb; k++) acc += p[k];
  return acc;
}

/* ---- (a) the table reader ---------------------------------------------- */

typedef struct fz_keys {
  uint8_t *keys[16];
  size_t lens[16];
  int n;
  unsigned acc;
} fz_keys;

static inline int fz_table_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *value,
                                 size_t vlen) {
  fz_keys *k = ctx;
  for (size_t i = 0; i < vlen; i++) k->acc += value[i];
  if (k->n < 16) {
    k->keys[k->n] = malloc(klen ? klen : 1);
    if (!k->keys[k->n]) abort();
    if (klen) memcpy(k->keys[k->n], key, klen);
    k->lens[k->n++] = klen;
  }
  return 0;
}

static inline int fz_table(const uint8_t *data, size_t size) {
  tfckpt__err err;
  tfckpt__err_clear(&err);
  tfckpt__table *t = NULL;
  if (tfckpt__table_open(data, size, "fuzz.index", &t, &err) != TFCKPT_OK) return 0;
  fz_keys k;
  memset(&k, 0, sizeof k);
  (void)tfckpt__table_foreach(t, fz_table_visit, &k, &err);
  (void)tfckpt__table_num_blocks(t);
  for (int i = 0; i <= k.n; i++) {
    tfckpt__table_value v;
    const uint8_t *key = i < k.n ? k.keys[i] : (const uint8_t *)"\xff\xff-absent";
    size_t klen = i < k.n ? k.lens[i] : 9;
    if (tfckpt__table_get(t, key, klen, &v, &err) == TFCKPT_OK) {
      for (size_t j = 0; j < v.len; j++) k.acc += v.data[j];
      tfckpt__table_value_free(&v);
    }
    if (i < k.n) free(k.keys[i]);
  }
  tfckpt__table_close(t);
  return (int)(k.acc & 0);
}

/* ---- (b) bundle protos ------------------------------------------------- */

/* First byte picks the decoder; the rest is its input. */
static inline int fz_bundle(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t sel = data[0];
  data++;
  size--;
  tfckpt__err err;
  tfckpt__err_clear(&err);
  switch (sel % 6) {
  case 0: {
    tfckpt__bundle_entry e;
    if (tfckpt__bundle_decode_entry(data, size, &e, &err) == TFCKPT_OK) {
      (void)tfckpt__num_elements(e.rank, e.dims);
      for (int s = 0; s < e.nslices; s++) {
        tfckpt__buf key;
        memset(&key, 0, sizeof key);
        tfckpt__encode_slice_key(&key, "v", 1, &e.slices[s]);
        tfckpt__buf_free(&key);
      }
      tfckpt__bundle_entry_free(&e);
    }
    break;
  }
  case 1: {
    tfckpt__bundle_header h;
    (void)tfckpt__bundle_decode_header(data, size, &h);
    break;
  }
  case 2: {
    int rank;
    int64_t *dims = NULL;
    if (tfckpt__decode_shape(data, size, &rank, &dims, &err) == TFCKPT_OK) {
      (void)tfckpt__num_elements(rank, dims);
      free(dims);
    }
    break;
  }
  case 3: {
    tfckpt__slice s;
    if (tfckpt__decode_slice(data, size, &s, &err) == TFCKPT_OK) {
      tfckpt__buf key;
      memset(&key, 0, sizeof key);
      tfckpt__encode_slice_key(&key, "name", 4, &s);
      tfckpt__buf_free(&key);
      tfckpt__slice_free(&s);
    }
    break;
  }
  default: {
    /* string / variant tensors: 1 byte element count, 4 bytes crc */
    if (size < 5) return 0;
    int64_t n = data[0] % 64;
    uint32_t crc = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                   (uint32_t)data[4] << 24;
    data += 5;
    size -= 5;
    size_t starts[64], lens[64];
    int rc;
    if (sel % 6 == 4)
      rc = tfckpt__parse_string_tensor(data, size, n, sel & 0x80, crc, sel & 0x40, starts,
                                      lens, &err);
    else
      rc = tfckpt__parse_variant_tensor(data, size, n, crc, sel & 0x40, starts, lens, &err);
    if (rc == TFCKPT_OK) {
      unsigned acc = 0;
      for (int64_t i = 0; i < n; i++)
        for (size_t k = 0; k < lens[i]; k++) acc += data[starts[i] + k];
      (void)acc;
    }
    break;
  }
  }
  return 0;
}

/* ---- (c) the whole reader (V2 bundle or V1 file) ----------------------- */

/* Reads what an open reader offers: every variable, slice, checksum. */
static inline void fz_walk_reader(tfckpt_reader *r) {
  unsigned acc = 0;
  (void)tfckpt_reader_prefix(r);
  (void)tfckpt_reader_format(r);
  (void)tfckpt_reader_num_shards(r);
  (void)tfckpt_reader_data_bytes(r);
  int64_t nv = tfckpt_reader_num_variables(r);
  for (int64_t i = 0; i < nv && i < FZ_MAX_ITEMS; i++) {
    tfckpt_var_info v;
    if (tfckpt_reader_var(r, i, &v) != TFCKPT_OK) continue;
    acc += (unsigned)strlen(v.name);
    (void)tfckpt_reader_find(r, v.name);
    (void)tfckpt_reader_verify(r, i);
    tfckpt_tensor *t;
    if (tfckpt_reader_get_tensor_at(r, i, &t) == TFCKPT_OK) {
      acc += fz_touch_tensor(t);
      tfckpt_tensor_free(t);
    }
    for (int k = 0; k < v.num_slices && k < 16; k++) {
      tfckpt_slice_info si;
      (void)tfckpt_reader_slice(r, i, k, &si);
      if (tfckpt_reader_get_slice_tensor(r, i, k, &t) == TFCKPT_OK) {
        acc += fz_touch_tensor(t);
        tfckpt_tensor_free(t);
      }
    }
    (void)tfckpt_reader_parent_shard(r, i);
  }
  const char *sugg[3];
  (void)tfckpt_reader_suggest(r, "dense/kernel", sugg, 3);
  tfckpt_tensor *t;
  if (tfckpt_reader_get_tensor(r, "no/such/tensor", &t) == TFCKPT_OK) tfckpt_tensor_free(t);
  tfckpt_objgraph *g = NULL;
  if (tfckpt_objgraph_from_reader(r, &g) == TFCKPT_OK) (void)tfckpt_objgraph_num_nodes(g);
  tfckpt_objgraph_free(g);
  (void)acc;
}

/* Input: u16 LE length L, then L bytes of data file, then the index file.
 * (scripts/fuzz_seeds.py builds seeds in this layout from the fixtures.) */
static inline int fz_reader(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t dlen = (size_t)data[0] | (size_t)data[1] << 8;
  data += 2;
  size -= 2;
  if (dlen > size) dlen = size;
  char index[512], shard[512], prefix[512];
  fz_path(prefix, sizeof prefix, "model.ckpt");
  fz_path(index, sizeof index, "model.ckpt.index");
  fz_path(shard, sizeof shard, "model.ckpt.data-00000-of-00001");
  fz_write(shard, data, dlen);
  fz_write(index, data + dlen, size - dlen);
  tfckpt_reader *r = NULL;
  if (tfckpt_reader_open(prefix, &r) == TFCKPT_OK) fz_walk_reader(r);
  (void)tfckpt_reader_errmsg(r);
  tfckpt_reader_close(r);
  return 0;
}

/* ---- V1: the protos, then whole files through the reader ------------- */

static inline int fz_v1(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t sel = data[0];
  data++;
  size--;
  tfckpt__err err;
  tfckpt__err_clear(&err);
  if (sel % 3 == 0) {
    tfckpt__v1_meta m;
    if (tfckpt__v1_decode_meta(data, size, &m, &err) == TFCKPT_OK) {
      for (size_t i = 0; i < m.ntensors; i++) (void)tfckpt__num_elements(m.tensors[i].rank, m.tensors[i].dims);
      tfckpt__v1_meta_free(&m);
    }
  } else if (sel % 3 == 1) {
    tfckpt__v1_record rec;
    if (tfckpt__v1_decode_record(data, size, &rec, &err) == TFCKPT_OK) {
      if (rec.has_slice) tfckpt__slice_free(&rec.slice);
    }
  } else {
    /* TensorProto values: dtype from the selector, count from a byte */
    if (size < 1) return 0;
    static const int dtypes[] = {TFCKPT_FLOAT, TFCKPT_DOUBLE, TFCKPT_INT32, TFCKPT_UINT8,
                                 TFCKPT_INT16, TFCKPT_INT8, TFCKPT_STRING, TFCKPT_INT64,
                                 TFCKPT_BOOL, TFCKPT_HALF, TFCKPT_BFLOAT16, TFCKPT_COMPLEX64};
    tfckpt_dtype dtype = dtypes[(sel / 3) % (sizeof dtypes / sizeof dtypes[0])];
    int64_t n = data[0] % 64;
    data++;
    size--;
    if (!tfckpt__v1_dtype_supported(dtype)) return 0;
    uint8_t out[64 * 16];
    size_t starts[64], lens[64];
    (void)tfckpt__v1_decode_values(data, size, dtype, n, out, starts, lens, &err);
  }
  return 0;
}

static inline int fz_v1_file(const uint8_t *data, size_t size) {
  char path[512];
  fz_path(path, sizeof path, "model-v1.ckpt");
  fz_write(path, data, size);
  tfckpt_reader *r = NULL;
  if (tfckpt_reader_open(path, &r) == TFCKPT_OK) fz_walk_reader(r);
  tfckpt_reader_close(r);
  return 0;
}

/* ---- the TrackableObjectGraph ------------------------------------------ */

static inline int fz_objgraph(const uint8_t *data, size_t size) {
  tfckpt_objgraph *g = NULL;
  if (tfckpt_objgraph_parse(data, size, &g) == TFCKPT_OK) {
    int n = tfckpt_objgraph_num_nodes(g);
    for (int id = 0; id < n && id < FZ_MAX_ITEMS; id++) {
      tfckpt_objnode nd;
      if (tfckpt_objgraph_node(g, id, &nd) != TFCKPT_OK) continue;
      for (int k = 0; k < nd.nchildren && k < 64; k++) {
        const char *ln;
        int child;
        (void)tfckpt_objgraph_child(g, id, k, &ln, &child);
      }
      for (int k = 0; k < nd.nattributes && k < 64; k++) {
        tfckpt_objattr a;
        if (tfckpt_objgraph_attribute(g, id, k, &a) == TFCKPT_OK && a.checkpoint_key) {
          int attr;
          (void)tfckpt_objgraph_find_key(g, a.checkpoint_key, &attr);
          free(tfckpt_friendly_name(a.checkpoint_key));
        }
      }
      for (int k = 0; k < nd.nslots && k < 64; k++) {
        tfckpt_objslot s;
        (void)tfckpt_objgraph_slot(g, id, k, &s);
      }
    }
  }
  (void)tfckpt_objgraph_errmsg(g);
  tfckpt_objgraph_free(g);
  return 0;
}

/* ---- MetaGraphDef / SavedModel ----------------------------------------- */

static inline int fz_metagraph(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int kind = data[0] % 3; /* 0 guess, 1 meta, 2 saved_model */
  tfckpt__err err;
  tfckpt__err_clear(&err);
  tfckpt_graph_info g;
  if (tfckpt__graph_parse(data + 1, size - 1, kind, &g, &err) == TFCKPT_OK) {
    for (size_t i = 0; i < g.nvars; i++) (void)tfckpt__graph_find(&g, g.vars[i].name);
    tfckpt_graph_info_free(&g);
  }
  return 0;
}

/* ---- the `checkpoint` state file --------------------------------------- */

static inline int fz_state(const uint8_t *data, size_t size) {
  tfckpt__err err;
  tfckpt__err_clear(&err);
  tfckpt_state s;
  if (tfckpt__state_parse((const char *)data, size, "checkpoint", &s, &err) != TFCKPT_OK)
    return 0;
  /* What we format must parse back to the same state. */
  char *text = tfckpt_state_format(&s);
  if (text) {
    tfckpt_state s2;
    if (tfckpt__state_parse(text, strlen(text), "checkpoint", &s2, &err) != TFCKPT_OK) abort();
    if (!s.model_checkpoint_path != !s2.model_checkpoint_path) abort();
    if (s.model_checkpoint_path && strcmp(s.model_checkpoint_path, s2.model_checkpoint_path))
      abort();
    if (s.npaths != s2.npaths) abort();
    for (size_t i = 0; i < s.npaths; i++)
      if (strcmp(s.all_paths[i], s2.all_paths[i])) abort();
    tfckpt_state_free(&s2);
    free(text);
  }
  tfckpt_state_free(&s);
  return 0;
}

/* ---- CSV / TXT / LibSVM ------------------------------------------------ */

/* First byte: format, header mode, on_error, sparse; the rest is the file. */
static inline int fz_data(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t sel = data[0];
  static const char *const names[] = {"in.csv", "in.txt", "in.svm", "in.dat"};
  static const int formats[] = {TFCKPT_DATA_CSV, TFCKPT_DATA_TXT, TFCKPT_DATA_LIBSVM,
                                TFCKPT_DATA_AUTO};
  char path[512];
  fz_path(path, sizeof path, names[sel & 3]);
  fz_write(path, data + 1, size - 1);
  const char *paths[1] = {path};
  tfckpt_dataset_options o;
  tfckpt_dataset_options_init(&o);
  o.paths = paths;
  o.npaths = 1;
  o.format = formats[sel & 3];
  o.header = (int)((sel >> 2) & 3) - 1;
  o.on_error = (sel >> 4) & 1;
  o.sparse = (sel >> 5) & 1;
  o.libsvm_zero_based = (sel >> 6) & 1 ? -1 : 0;
  if (sel & 0x80) o.na_values = "0";
  o.num_threads = 1;
  o.batch_size = 7;
  o.shuffle_buffer = (sel & 0x40) ? 5 : 0;
  if ((sel & 0x41) == 0x41) { /* a hold-out split on top of the shuffle */
    o.holdout_fraction = 0.3;
    o.holdout_select = (sel >> 7) & 1;
  }
  o.chunk_bytes = 4096;
  tfckpt_dataset *ds = NULL;
  if (tfckpt_dataset_open(&o, &ds) == TFCKPT_OK) {
    size_t nc = tfckpt_dataset_ncolumns(ds);
    for (size_t c = 0; c < nc && c < FZ_MAX_ITEMS; c++) (void)tfckpt_dataset_column_name(ds, c);
    const tfckpt_batch *b;
    int guard = 0;
    while (tfckpt_dataset_next(ds, &b) == TFCKPT_OK && b && guard++ < 10000) {
      tfckpt_tensor *f = NULL, *l = NULL;
      if (tfckpt_batch_to_tensors(b, &f, &l) == TFCKPT_OK) {
        fz_touch_tensor(f);
        if (l) fz_touch_tensor(l);
        tfckpt_tensor_free(f);
        tfckpt_tensor_free(l);
      }
    }
  }
  (void)tfckpt_dataset_errmsg(ds);
  tfckpt_dataset_close(ds);
  return 0;
}

/* ---- npy / npz / safetensors import ------------------------------------ */

static inline int fz_arrays(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  /* The reader sniffs magic bytes; the name only matters for messages. */
  static const char *const names[] = {"in.npz", "in.npy", "in.safetensors", "in.bin"};
  char path[512];
  fz_path(path, sizeof path, names[data[0] & 3]);
  fz_write(path, data + 1, size - 1);
  tfckpt_npy_info info;
  char eb[128];
  (void)tfckpt_npy_parse_header(data + 1, size - 1, &info, eb, sizeof eb);
  tfckpt_arrays_reader *r = NULL;
  if (tfckpt_arrays_reader_open(path, &r) == TFCKPT_OK) {
    int64_t n = tfckpt_arrays_reader_count(r);
    for (int64_t i = 0; i < n && i < FZ_MAX_ITEMS; i++) {
      (void)tfckpt_arrays_reader_name(r, i);
      tfckpt_tensor *t;
      if (tfckpt_arrays_reader_get(r, i, &t) == TFCKPT_OK) {
        fz_touch_tensor(t);
        tfckpt_tensor_free(t);
      }
    }
    int64_t nm = tfckpt_arrays_reader_num_metadata(r);
    (void)nm;
  }
  (void)tfckpt_arrays_reader_errmsg(r);
  tfckpt_arrays_reader_close(r);
  return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

/* Same values: integers exactly (when the first was one), doubles bit for bit
 * up to the sign of zero, strings and keys byte for byte. */
static inline int fz_json_same(const tfckpt__json *a, const tfckpt__json *b) {
  if (a->klen != b->klen || (a->klen && memcmp(a->key, b->key, a->klen))) return 0;
  if (a->type != b->type) return 0;
  switch (a->type) {
  case TFCKPT__JSON_STRING:
    return a->len == b->len && !memcmp(a->str, b->str, a->len);
  case TFCKPT__JSON_NUMBER:
    if (a->num.flags && (a->num.flags != b->num.flags || a->num.u != b->num.u)) return 0;
    return a->num.d == b->num.d && !signbit(a->num.d) == !signbit(b->num.d);
  case TFCKPT__JSON_OBJECT_BEGIN:
  case TFCKPT__JSON_ARRAY_BEGIN:
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
      if (!fz_json_same(&a->items[i], &b->items[i])) return 0;
    return 1;
  default:
    return 1;
  }
}

/* Byte 0 picks the check, the rest is the input.
 *   even: parse; on success what the writer makes of the tree must parse
 *         back to the same tree, and writing that gives the same bytes;
 *         the pull reader (skipping every container) must agree on success;
 *   odd:  the string writers on raw bytes: their output always parses, as
 *         the input itself when it was valid UTF-8 (text) and as one code
 *         point per byte (bytes). */
static inline int fz_json(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t sel = data[0];
  const char *text = (const char *)data + 1;
  size_t n = size - 1;
  tfckpt__err err;
  tfckpt__err_clear(&err);
  if (!(sel & 1)) {
    tfckpt__json *v = NULL;
    int rc = tfckpt__json_parse(text, n, "fuzz", 8, 0, &v, &err);
    tfckpt__json_reader r;
    tfckpt__json_token t;
    tfckpt__json_reader_init(&r, text, n, "fuzz", 8, &err);
    int prc;
    while (!(prc = tfckpt__json_next(&r, &t)) && t.type != TFCKPT__JSON_END)
      if ((sel & 2) && (prc = tfckpt__json_skip(&r, &t))) break;
    tfckpt__json_reader_free(&r);
    /* the tree may also refuse duplicate keys, which the pull reader passes */
    if (!rc && prc) abort();
    if (rc == TFCKPT_ECORRUPT && !prc && !strstr(err.msg, "duplicate key")) abort();
    if (rc) return 0;
    tfckpt__buf b1, b2;
    memset(&b1, 0, sizeof b1);
    memset(&b2, 0, sizeof b2);
    tfckpt__json_write(&b1, v);
    if (b1.oom) abort();
    tfckpt__json *w = NULL;
    if (tfckpt__json_parse((const char *)b1.data, b1.len, "fuzz", 0, 0, &w, &err)) {
      fprintf(stderr, "re-parse failed: %s\n", err.msg);
      abort();
    }
    if (!fz_json_same(v, w)) abort();
    tfckpt__json_write(&b2, w);
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len)) abort();
    tfckpt__buf_free(&b1);
    tfckpt__buf_free(&b2);
    tfckpt__json_free(w);
    tfckpt__json_free(v);
    return 0;
  }
  tfckpt__buf b;
  memset(&b, 0, sizeof b);
  int bytes = (sel & 2) != 0;
  if (bytes) tfckpt__json_put_bytes(&b, (const uint8_t *)text, n);
  else tfckpt__json_put_str(&b, text, n);
  tfckpt__json *v = NULL;
  if (b.oom || tfckpt__json_parse((const char *)b.data, b.len, "fuzz", 0, 0, &v, &err)) abort();
  if (v->type != TFCKPT__JSON_STRING) abort();
  if (bytes) {
    /* decode the code points back to bytes: each is below U+0100 */
    size_t k = 0;
    const uint8_t *s = (const uint8_t *)v->str;
    for (size_t i = 0; i < v->len; k++) {
      uint8_t c = s[i] < 0x80 ? s[i] : (uint8_t)((s[i] & 0x03) << 6 | (s[i + 1] & 0x3f));
      if (s[i] >= 0x80 && (s[i] & 0xfc) != 0xc0) abort();
      if (k >= n || c != data[1 + k]) abort();
      i += s[i] < 0x80 ? 1 : 2;
    }
    if (k != n) abort();
  } else if (tfckpt__utf8_valid(text, n)) {
    if (v->len != n || memcmp(v->str, text, n)) abort();
  } else if (!tfckpt__utf8_valid(v->str, v->len)) {
    abort();
  }
  tfckpt__json_free(v);
  tfckpt__buf_free(&b);
  return 0;
}

#endif
