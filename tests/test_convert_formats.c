/* .npy / .npz / .safetensors encoders and decoders: round trips through the
 * public API and malformed inputs, each with the exact message fragment. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tfckpt/convert.h"

static char *tmpdir;

static char *tpath(const char *name) {
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  fwrite(p, 1, n, f);
  fclose(f);
}
static uint8_t *read_bytes(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(*n + 1);
  if (fread(p, 1, *n, f) != *n) *n = 0;
  fclose(f);
  return p;
}

/* A tensor whose bytes are i*7+3 (mod 256) for every byte i. */
static tfckpt_tensor *make(tfckpt_dtype dtype, int rank, const int64_t *dims) {
  tfckpt_tensor *t;
  if (tfckpt_tensor_new(dtype, rank, dims, &t)) return NULL;
  uint8_t *p = tfckpt_tensor_mutable_data(t);
  for (size_t i = 0; i < tfckpt_tensor_nbytes(t); i++) p[i] = (uint8_t)(i * 7 + 3);
  if (dtype == TFCKPT_BOOL)
    for (size_t i = 0; i < tfckpt_tensor_nbytes(t); i++) p[i] &= 1;
  return t;
}

static int same(const tfckpt_tensor *a, const tfckpt_tensor *b) {
  return tfckpt_tensor_dtype(a) == tfckpt_tensor_dtype(b) &&
         tfckpt_tensor_rank(a) == tfckpt_tensor_rank(b) &&
         !memcmp(tfckpt_tensor_dims(a), tfckpt_tensor_dims(b),
                 (size_t)tfckpt_tensor_rank(a) * sizeof(int64_t)) &&
         tfckpt_tensor_nbytes(a) == tfckpt_tensor_nbytes(b) &&
         (!tfckpt_tensor_nbytes(a) ||
          !memcmp(tfckpt_tensor_data(a), tfckpt_tensor_data(b), tfckpt_tensor_nbytes(a)));
}

static void test_npy_header(void) {
  uint8_t h[1024];
  int64_t d[2] = {3, 4};
  long n = tfckpt_npy_header(TFCKPT_FLOAT, 2, d, h, sizeof h);
  CHECK(n == 128);
  CHECK(n % 64 == 0 && h[n - 1] == '\n');
  CHECK(!memcmp(h, "\x93NUMPY\x01\x00", 8));
  const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
  CHECK(!memcmp(h + 10, dict, strlen(dict)));
  CHECK(h[10 + strlen(dict)] == ' ' && h[8] == 118 && h[9] == 0); /* header length 118 */
  int64_t d1[1] = {5};
  n = tfckpt_npy_header(TFCKPT_BOOL, 1, d1, h, sizeof h);
  CHECK(n > 0 && strstr((char *)h + 10, "'|b1'") && strstr((char *)h + 10, "(5,)"));
  n = tfckpt_npy_header(TFCKPT_COMPLEX128, 0, NULL, h, sizeof h);
  CHECK(n > 0 && strstr((char *)h + 10, "'<c16'") && strstr((char *)h + 10, "'shape': ()"));
  CHECK(tfckpt_npy_header(TFCKPT_BFLOAT16, 1, d1, h, sizeof h) == TFCKPT_EUNSUPPORTED);
  CHECK(tfckpt_npy_header(TFCKPT_STRING, 1, d1, h, sizeof h) == TFCKPT_EUNSUPPORTED);
  CHECK(tfckpt_npy_header(TFCKPT_FLOAT, 2, d, h, 100) == TFCKPT_ERANGE);

  tfckpt_npy_info info;
  char msg[256];
  n = tfckpt_npy_header(TFCKPT_INT64, 2, d, h, sizeof h);
  CHECK(tfckpt_npy_parse_header(h, (size_t)n, &info, msg, sizeof msg) == TFCKPT_OK);
  CHECK(info.dtype == TFCKPT_INT64 && info.rank == 2 && info.dims[0] == 3 && info.dims[1] == 4);
  CHECK(info.nbytes == 96 && info.header_len == (size_t)n && !info.fortran_order);

  /* malformed headers */
  CHECK(tfckpt_npy_parse_header("\x93NUMPX\x01\x00\x10\x00", 10, &info, msg, sizeof msg) ==
        TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "bad .npy magic");
  uint8_t bad[200];
  memcpy(bad, h, (size_t)n);
  bad[8] = 0xff; /* header length 0x..ff past the buffer */
  bad[9] = 0x70;
  CHECK(tfckpt_npy_parse_header(bad, (size_t)n, &info, msg, sizeof msg) == TFCKPT_ECORRUPT);
  CHECK_CONTAINS(msg, "runs past the end");
  const char *cases[][2] = {
      {"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", "unsupported .npy dtype '|O'"},
      {"{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", "unsupported .npy dtype '<U3'"},
      {"{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }", "structured"},
      {"{'descr': '<f4', 'shape': (2,), }", "lacks one of"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }",
       "shape overflows"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", "too large"},
      {"{'descr': '<f4' 'fortran_order': False}", "malformed .npy header"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t b[256];
    size_t l = strlen(cases[i][0]);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (uint8_t)(l + 1);
    b[9] = 0;
    memcpy(b + 10, cases[i][0], l);
    b[10 + l] = '\n';
    CHECK(tfckpt_npy_parse_header(b, 11 + l, &info, msg, sizeof msg) != TFCKPT_OK);
    CHECK_CONTAINS(msg, cases[i][1]);
  }
}

static const int kDtypes[] = {TFCKPT_FLOAT, TFCKPT_DOUBLE, TFCKPT_HALF,   TFCKPT_INT8,
                              TFCKPT_INT16, TFCKPT_INT32,  TFCKPT_INT64,  TFCKPT_UINT8,
                              TFCKPT_UINT16, TFCKPT_UINT32, TFCKPT_UINT64, TFCKPT_BOOL,
                              TFCKPT_COMPLEX64, TFCKPT_COMPLEX128};
#define NDT (int)(sizeof kDtypes / sizeof kDtypes[0])

static void roundtrip(int format, int compress, int zip64, const char *file) {
  tfckpt_arrays_options o;
  tfckpt_arrays_options_init(&o);
  o.compress = compress;
  o.force_zip64 = zip64;
  tfckpt_arrays_writer *w;
  CHECK(tfckpt_arrays_writer_open(tpath(file), format, &o, &w) == TFCKPT_OK);
  tfckpt_tensor *ts[NDT + 1];
  char names[NDT + 1][64];
  int64_t dims[3] = {3, 5, 7}, zero[2] = {0, 4};
  int m = 0;
  for (int i = 0; i < NDT; i++) {
    if (format == TFCKPT_ARRAYS_SAFETENSORS && !tfckpt_arrays_supports(format, kDtypes[i], &o, NULL))
      continue;
    snprintf(names[m], sizeof names[m], "scope/%s/v", tfckpt_dtype_name(kDtypes[i]));
    ts[m++] = make(kDtypes[i], i % 4, dims);
  }
  snprintf(names[m], sizeof names[m], "empty");
  ts[m++] = make(TFCKPT_FLOAT, 2, zero);
  if (format == TFCKPT_ARRAYS_SAFETENSORS) {
    CHECK(tfckpt_arrays_writer_set_metadata(w, "format", "tf \"quoted\"") == TFCKPT_OK);
    for (int i = 0; i < m; i++)
      CHECK(tfckpt_arrays_writer_declare(w, names[i], tfckpt_tensor_dtype(ts[i]),
                                         tfckpt_tensor_rank(ts[i]), tfckpt_tensor_dims(ts[i])) ==
            TFCKPT_OK);
  }
  for (int i = 0; i < m; i++) CHECK(tfckpt_arrays_writer_add(w, names[i], ts[i]) == TFCKPT_OK);
  CHECK(tfckpt_arrays_writer_add(w, names[0], ts[0]) != TFCKPT_OK); /* twice / out of order */
  CHECK(tfckpt_arrays_writer_finish(w) == TFCKPT_OK);
  tfckpt_arrays_writer_close(w);

  tfckpt_arrays_reader *r;
  const char *in = tpath(file);
  char one[600];
  if (format == TFCKPT_ARRAYS_NPY_DIR) {
    snprintf(one, sizeof one, "%s/scope/float32/v.npy", tpath(file));
    in = one;
  }
  int rc = tfckpt_arrays_reader_open(in, &r);
  CHECK(rc == TFCKPT_OK);
  if (rc) fprintf(stderr, "  %s\n", tfckpt_arrays_reader_errmsg(r));
  if (format == TFCKPT_ARRAYS_NPY_DIR) {
    CHECK(tfckpt_arrays_reader_count(r) == 1 && !strcmp(tfckpt_arrays_reader_name(r, 0), "v"));
    tfckpt_tensor *t;
    CHECK(tfckpt_arrays_reader_get(r, 0, &t) == TFCKPT_OK && same(t, ts[0]));
    tfckpt_tensor_free(t);
  } else if (!rc) {
    CHECK(tfckpt_arrays_reader_count(r) == m);
    for (int i = 0; i < m && i < tfckpt_arrays_reader_count(r); i++) {
      int j = 0;
      while (j < m && strcmp(tfckpt_arrays_reader_name(r, i), names[j])) j++;
      CHECK(j < m);
      tfckpt_tensor *t;
      CHECK(tfckpt_arrays_reader_get(r, i, &t) == TFCKPT_OK);
      if (j < m) CHECK(same(t, ts[j]));
      CHECK(tfckpt_tensor_is_view(t) == !compress);
      tfckpt_tensor_free(t);
    }
    if (format == TFCKPT_ARRAYS_SAFETENSORS) {
      const char *k, *v;
      CHECK(tfckpt_arrays_reader_num_metadata(r) == 1);
      CHECK(tfckpt_arrays_reader_metadata(r, 0, &k, &v) == TFCKPT_OK && !strcmp(k, "format") &&
            !strcmp(v, "tf \"quoted\""));
    }
  }
  tfckpt_arrays_reader_close(r);
  for (int i = 0; i < m; i++) tfckpt_tensor_free(ts[i]);
}

/* Writes a one-member npz holding float32 [4] and returns its bytes. */
static uint8_t *small_npz(size_t *n, int compress) {
  tfckpt_arrays_options o;
  tfckpt_arrays_options_init(&o);
  o.compress = compress;
  tfckpt_arrays_writer *w;
  int64_t d[1] = {4};
  tfckpt_tensor *t = make(TFCKPT_FLOAT, 1, d);
  tfckpt_arrays_writer_open(tpath("small.npz"), TFCKPT_ARRAYS_NPZ, &o, &w);
  tfckpt_arrays_writer_add(w, "x", t);
  CHECK(tfckpt_arrays_writer_finish(w) == TFCKPT_OK);
  tfckpt_arrays_writer_close(w);
  tfckpt_tensor_free(t);
  return read_bytes(tpath("small.npz"), n);
}

static void expect_open_error(const char *path, int code, const char *frag) {
  tfckpt_arrays_reader *r;
  int rc = tfckpt_arrays_reader_open(path, &r);
  if (rc == TFCKPT_OK) { /* some damage only shows when values are read */
    tfckpt_tensor *t = NULL;
    for (int64_t i = 0; rc == TFCKPT_OK && i < tfckpt_arrays_reader_count(r); i++) {
      rc = tfckpt_arrays_reader_get(r, i, &t);
      tfckpt_tensor_free(t);
    }
  }
  if (rc != code) fprintf(stderr, "  %s: got %d want %d\n", frag, rc, code);
  CHECK(rc == code);
  CHECK_CONTAINS(tfckpt_arrays_reader_errmsg(r), frag);
  tfckpt_arrays_reader_close(r);
}

static void test_bad_npz(void) {
  size_t n;
  uint8_t *z = small_npz(&n, 0);
  uint8_t *b = malloc(n);
  const char *p = tpath("bad.npz");
  /* data byte flipped: CRC */
  memcpy(b, z, n);
  b[30 + 6 + 128 + 1] ^= 0x40;
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_ECHECKSUM, "CRC-32 mismatch");
  /* truncated: no end record */
  write_bytes(p, z, n - 30);
  expect_open_error(p, TFCKPT_ECORRUPT, "no zip end-of-central-directory");
  /* central directory offset past the end */
  memcpy(b, z, n);
  b[n - 22 + 16] = 0xff, b[n - 22 + 17] = 0xff, b[n - 22 + 18] = 0xff;
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_ECORRUPT, "runs past the end of the file");
  /* local header offset in the central directory pointing nowhere */
  memcpy(b, z, n);
  size_t cd = n - 22 - 46 - 5; /* one member named "x.npy" */
  b[cd + 42] = 0x77;
  b[cd + 43] = 0x77;
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_ECORRUPT, "bad local header offset");
  /* member sizes huge (stored sizes disagree / run past the end) */
  memcpy(b, z, n);
  b[cd + 20] = 0xfe, b[cd + 21] = 0xff, b[cd + 22] = 0xff, b[cd + 23] = 0x7f;
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_ECORRUPT, "run past the end of the file");
  /* many entries claimed in a tiny directory */
  memcpy(b, z, n);
  b[n - 22 + 10] = 0xff, b[n - 22 + 11] = 0xff;
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_ECORRUPT, "cannot fit");
  /* unknown compression method */
  memcpy(b, z, n);
  b[cd + 10] = 12; /* bzip2 */
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_EUNSUPPORTED, "compression method 12");
  /* not a .npy member */
  memcpy(b, z, n);
  b[cd + 46 + 3] = 'x';
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_EUNSUPPORTED, "is not a .npy array");
  /* npy header in the member declares more than the member holds */
  memcpy(b, z, n);
  char *sh = memmem(b, n, "(4,)", 4);
  CHECK(sh != NULL);
  if (sh) sh[1] = '9';
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_ECORRUPT, "declares 36 bytes of values but the member holds 16");
  free(z);
  free(b);

  /* two members with the same name (python's zipfile allows writing that) */
  {
    tfckpt_arrays_options o;
    tfckpt_arrays_options_init(&o);
    tfckpt_arrays_writer *w;
    int64_t d[1] = {2};
    tfckpt_tensor *t = make(TFCKPT_INT32, 1, d);
    tfckpt_arrays_writer_open(tpath("dup.npz"), TFCKPT_ARRAYS_NPZ, &o, &w);
    tfckpt_arrays_writer_add(w, "aa", t);
    tfckpt_arrays_writer_add(w, "ab", t);
    CHECK(tfckpt_arrays_writer_finish(w) == TFCKPT_OK);
    tfckpt_arrays_writer_close(w);
    tfckpt_tensor_free(t);
    z = read_bytes(tpath("dup.npz"), &n);
    for (size_t i = 0; i + 6 <= n; i++)
      if (!memcmp(z + i, "ab.npy", 6)) z[i + 1] = 'a';
    write_bytes(p, z, n);
    expect_open_error(p, TFCKPT_ECORRUPT, "member aa.npy appears twice");
    free(z);
  }

  /* deflated member with an impossible declared size */
  z = small_npz(&n, 6);
  b = malloc(n);
  memcpy(b, z, n);
  cd = n - 22 - 46 - 5;
  b[cd + 24] = 0xff, b[cd + 25] = 0xff, b[cd + 26] = 0xff, b[cd + 27] = 0x7f;
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_ECORRUPT, "is impossible for");
  /* corrupt deflate stream */
  memcpy(b, z, n);
  for (size_t i = 36; i < 46; i++) b[i] ^= 0x55;
  write_bytes(p, b, n);
  expect_open_error(p, TFCKPT_ECORRUPT, "");
  free(z);
  free(b);
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void st_case(const char *json, size_t data_len, int code, const char *frag) {
  size_t jl = strlen(json);
  uint8_t *b = calloc(1, 8 + jl + data_len + 1);
  put64(b, jl);
  memcpy(b + 8, json, jl);
  const char *p = tpath("bad.safetensors");
  write_bytes(p, b, 8 + jl + data_len);
  expect_open_error(p, code, frag);
  free(b);
}

static void test_bad_safetensors(void) {
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, TFCKPT_OK, "");
  st_case("[\"a\"]", 0, TFCKPT_ECORRUPT, "must start with '{'");
  st_case("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
          TFCKPT_EUNSUPPORTED, "unknown dtype \"C64\"");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, TFCKPT_ECORRUPT,
          "shape and dtype need");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, TFCKPT_ECORRUPT,
          "without holes");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
          "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
          8, TFCKPT_ECORRUPT, "without holes");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, TFCKPT_ECORRUPT,
          "tensors cover 4 bytes but the file holds 8");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, TFCKPT_ECORRUPT,
          "past the 4 data bytes");
  st_case("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
          "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
          2, TFCKPT_ECORRUPT, "duplicate tensor \"a\"");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8,
          TFCKPT_ECORRUPT, "more than 2^64");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8, TFCKPT_ECORRUPT,
          "non-negative integer");
  st_case("{\"__metadata__\":{\"k\":1}}", 0, TFCKPT_ECORRUPT, "values must be strings");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", 4, TFCKPT_ECORRUPT,
          "trailing bytes");
  st_case("{\"a\\ud800\":{}}", 0, TFCKPT_ECORRUPT, "bad escape");
  st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, TFCKPT_ECORRUPT, "lacks dtype, shape or");
  /* header length beyond the file / above the limit */
  uint8_t b[16] = {0};
  put64(b, 1000);
  b[8] = '{';
  write_bytes(tpath("bad.safetensors"), b, 16);
  expect_open_error(tpath("bad.safetensors"), TFCKPT_ECORRUPT, "runs past the end of the file");
  put64(b, 1ull << 40);
  write_bytes(tpath("bad.safetensors"), b, 16);
  expect_open_error(tpath("bad.safetensors"), TFCKPT_ERANGE, "exceeds the 100000000-byte limit");
  /* .npy declaring more data than the file has */
  uint8_t h[256];
  int64_t d[1] = {1000000};
  long hl = tfckpt_npy_header(TFCKPT_DOUBLE, 1, d, h, sizeof h);
  write_bytes(tpath("short.npy"), h, (size_t)hl + 16);
  expect_open_error(tpath("short.npy"), TFCKPT_ECORRUPT,
                    "declares 8000000 bytes of values but the file holds 16");
  write_bytes(tpath("junk.bin"), "hello world, not a tensor", 25);
  expect_open_error(tpath("junk.bin"), TFCKPT_EUNSUPPORTED, "not a .npy, .npz or .safetensors");
}

static void test_writer_errors(void) {
  tfckpt_arrays_options o;
  tfckpt_arrays_options_init(&o);
  tfckpt_arrays_writer *w;
  int64_t d[1] = {3};
  tfckpt_tensor *bf = make(TFCKPT_BFLOAT16, 1, d), *s;
  tfckpt_tensor_new(TFCKPT_STRING, 1, d, &s);

  /* output directory missing: clear error, nothing created */
  CHECK(tfckpt_arrays_writer_open(tpath("nodir/x.npz"), TFCKPT_ARRAYS_NPZ, &o, &w) != TFCKPT_OK);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "nodir/x.npz: cannot create output");
  tfckpt_arrays_writer_close(w);
  /* a regular file where the directory should be */
  write_bytes(tpath("plain"), "x", 1);
  CHECK(tfckpt_arrays_writer_open(tpath("plain/x.safetensors"), TFCKPT_ARRAYS_SAFETENSORS, &o, &w) !=
        TFCKPT_OK);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "Not a directory");
  tfckpt_arrays_writer_close(w);
  CHECK(tfckpt_arrays_writer_open(tpath("plain/d"), TFCKPT_ARRAYS_NPY_DIR, &o, &w) != TFCKPT_OK);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "cannot create output directory");
  tfckpt_arrays_writer_close(w);

  int before = tu_count_files(tmpdir, NULL);
  /* bfloat16 and strings refused for npz; closing unfinished leaves nothing */
  CHECK(tfckpt_arrays_writer_open(tpath("e.npz"), TFCKPT_ARRAYS_NPZ, &o, &w) == TFCKPT_OK);
  CHECK(tfckpt_arrays_writer_add(w, "b", bf) == TFCKPT_EUNSUPPORTED);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "b: bfloat16 has no numpy dtype");
  CHECK(tfckpt_arrays_writer_add(w, "s", s) == TFCKPT_EUNSUPPORTED);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "numpy files cannot hold string tensors");
  CHECK(tu_count_files(tmpdir, NULL) == before + 1); /* the temporary */
  tfckpt_arrays_writer_close(w);
  CHECK(tu_count_files(tmpdir, NULL) == before);
  CHECK(access(tpath("e.npz"), F_OK) != 0);

  /* --bf16-as float32 widens exactly */
  o.bf16_as_float32 = 1;
  CHECK(tfckpt_arrays_writer_open(tpath("bf.npz"), TFCKPT_ARRAYS_NPZ, &o, &w) == TFCKPT_OK);
  CHECK(tfckpt_arrays_writer_add(w, "b", bf) == TFCKPT_OK);
  CHECK(tfckpt_arrays_writer_finish(w) == TFCKPT_OK);
  tfckpt_arrays_writer_close(w);
  tfckpt_arrays_reader *r;
  tfckpt_tensor *t;
  CHECK(tfckpt_arrays_reader_open(tpath("bf.npz"), &r) == TFCKPT_OK);
  CHECK(tfckpt_arrays_reader_get(r, 0, &t) == TFCKPT_OK);
  CHECK(tfckpt_tensor_dtype(t) == TFCKPT_FLOAT && tfckpt_tensor_num_elements(t) == 3);
  for (int i = 0; i < 3; i++)
    CHECK(tfckpt_tensor_get_double(t, i) == tfckpt_tensor_get_double(bf, i));
  tfckpt_tensor_free(t);
  tfckpt_arrays_reader_close(r);
  o.bf16_as_float32 = 0;

  /* safetensors: complex refused at declare; undeclared add refused */
  tfckpt_tensor *c = make(TFCKPT_COMPLEX64, 1, d);
  CHECK(tfckpt_arrays_writer_open(tpath("c.safetensors"), TFCKPT_ARRAYS_SAFETENSORS, &o, &w) ==
        TFCKPT_OK);
  CHECK(tfckpt_arrays_writer_declare(w, "c", TFCKPT_COMPLEX64, 1, d) == TFCKPT_EUNSUPPORTED);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "safetensors has no complex dtype");
  CHECK(tfckpt_arrays_writer_add(w, "c", c) == TFCKPT_EINVAL);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "declared first");
  tfckpt_arrays_writer_close(w);
  CHECK(tu_count_files(tmpdir, NULL) == before + 1); /* bf.npz */

  /* npy dir: names that would escape; existing non-empty target */
  CHECK(tfckpt_arrays_writer_open(tpath("nd"), TFCKPT_ARRAYS_NPY_DIR, &o, &w) == TFCKPT_OK);
  CHECK(tfckpt_arrays_writer_add(w, "../evil", c) == TFCKPT_EINVAL);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "'..' path component");
  CHECK(tfckpt_arrays_writer_add(w, "a//b", c) == TFCKPT_EINVAL);
  CHECK(tfckpt_arrays_writer_add(w, "ok/c", c) == TFCKPT_OK);
  tfckpt_arrays_writer_close(w); /* not finished: temp dir removed */
  CHECK(tu_count_files(tmpdir, NULL) == before + 1);
  CHECK(tfckpt_arrays_writer_open(tpath("plain"), TFCKPT_ARRAYS_NPY_DIR, &o, &w) == TFCKPT_EEXIST);
  CHECK_CONTAINS(tfckpt_arrays_writer_errmsg(w), "already exists");
  tfckpt_arrays_writer_close(w);

  tfckpt_tensor_free(c);
  tfckpt_tensor_free(bf);
  tfckpt_tensor_free(s);
}

/* numpy-style inputs the writer never produces: Fortran order, big-endian. */
static void test_npy_variants(void) {
  /* float32 [2,3] Fortran order: memory holds columns */
  const char *hd = "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }";
  uint8_t b[256];
  size_t l = strlen(hd);
  memcpy(b, "\x93NUMPY\x01\x00", 8);
  b[8] = (uint8_t)(l + 1);
  b[9] = 0;
  memcpy(b + 10, hd, l);
  b[10 + l] = '\n';
  size_t off = 11 + l;
  /* logical [[0,1,2],[3,4,5]] in column order: 0,3,1,4,2,5, big-endian */
  int vals[6] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; i++) {
    b[off + 4 * i] = 0, b[off + 4 * i + 1] = 0, b[off + 4 * i + 2] = 0;
    b[off + 4 * i + 3] = (uint8_t)vals[i];
  }
  write_bytes(tpath("f.npy"), b, off + 24);
  tfckpt_arrays_reader *r;
  tfckpt_tensor *t;
  CHECK(tfckpt_arrays_reader_open(tpath("f.npy"), &r) == TFCKPT_OK);
  CHECK(!strcmp(tfckpt_arrays_reader_name(r, 0), "f"));
  CHECK(tfckpt_arrays_reader_get(r, 0, &t) == TFCKPT_OK);
  CHECK(tfckpt_tensor_dtype(t) == TFCKPT_INT32 && tfckpt_tensor_rank(t) == 2);
  for (int i = 0; i < 6; i++) CHECK(tfckpt_tensor_get_double(t, i) == i);
  tfckpt_tensor_free(t);
  tfckpt_arrays_reader_close(r);
}

/* tfckpt_npy_write to a FILE*, read back as a .npy file. */
static void test_npy_write(void) {
  int64_t d[2] = {2, 3};
  tfckpt_tensor *t = make(TFCKPT_UINT16, 2, d), *bf = make(TFCKPT_BFLOAT16, 2, d), *back;
  FILE *f = fopen(tpath("w.npy"), "wb");
  CHECK(tfckpt_npy_write(f, t, 0) == TFCKPT_OK);
  fclose(f);
  f = fopen(tpath("bf.npy"), "wb");
  CHECK(tfckpt_npy_write(f, bf, 0) == TFCKPT_EUNSUPPORTED);
  CHECK(tfckpt_npy_write(f, bf, 1) == TFCKPT_OK);
  fclose(f);
  tfckpt_arrays_reader *r;
  CHECK(tfckpt_arrays_reader_open(tpath("w.npy"), &r) == TFCKPT_OK);
  CHECK(!strcmp(tfckpt_arrays_reader_format(r), "npy"));
  CHECK(tfckpt_arrays_reader_get(r, 0, &back) == TFCKPT_OK && same(back, t));
  tfckpt_tensor_free(back);
  tfckpt_arrays_reader_close(r);
  CHECK(tfckpt_arrays_reader_open(tpath("bf.npy"), &r) == TFCKPT_OK);
  CHECK(tfckpt_arrays_reader_get(r, 0, &back) == TFCKPT_OK);
  CHECK(tfckpt_tensor_dtype(back) == TFCKPT_FLOAT);
  for (int i = 0; i < 6; i++)
    CHECK(tfckpt_tensor_get_double(back, i) == tfckpt_tensor_get_double(bf, i));
  tfckpt_tensor_free(back);
  tfckpt_arrays_reader_close(r);
  tfckpt_tensor_free(t);
  tfckpt_tensor_free(bf);
}

int main(void) {
  tmpdir = tu_mkdtemp();
  test_npy_header();
  roundtrip(TFCKPT_ARRAYS_NPZ, 0, 0, "rt.npz");
  roundtrip(TFCKPT_ARRAYS_NPZ, 6, 0, "rtz.npz");
  roundtrip(TFCKPT_ARRAYS_NPZ, 0, 1, "rt64.npz");
  roundtrip(TFCKPT_ARRAYS_NPZ, 1, 1, "rtz64.npz");
  roundtrip(TFCKPT_ARRAYS_SAFETENSORS, 0, 0, "rt.safetensors");
  roundtrip(TFCKPT_ARRAYS_NPY_DIR, 0, 0, "rtdir");
  test_bad_npz();
  test_bad_safetensors();
  test_writer_errors();
  test_npy_variants();
  test_npy_write();
  free(tmpdir);
  return tu_finish();
}
