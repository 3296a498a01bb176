/* The .npy format (numpy/lib/format.py): "\x93NUMPY", version, a
 * little-endian header length, a Python dict literal padded with spaces to a
 * multiple of 64 bytes and ended by '\n', then the raw values. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/internal.h"
#include "tensor/half.h"
#include "tensor/tensor_impl.h"

/* Larger headers are refused (numpy itself stops at 10000 bytes by default). */
#define NPY_MAX_HEADER (1u << 20)

static const struct {
  tfckpt_dtype dtype;
  const char *descr;
} kDescr[] = {
    {TFCKPT_FLOAT, "<f4"},     {TFCKPT_DOUBLE, "<f8"},   {TFCKPT_HALF, "<f2"},
    {TFCKPT_INT8, "|i1"},      {TFCKPT_INT16, "<i2"},    {TFCKPT_INT32, "<i4"},
    {TFCKPT_INT64, "<i8"},     {TFCKPT_UINT8, "|u1"},    {TFCKPT_UINT16, "<u2"},
    {TFCKPT_UINT32, "<u4"},    {TFCKPT_UINT64, "<u8"},   {TFCKPT_BOOL, "|b1"},
    {TFCKPT_COMPLEX64, "<c8"}, {TFCKPT_COMPLEX128, "<c16"},
    /* Quantized types as the integer of the same size, as TF's own
     * CheckpointReader.get_tensor returns them (and the Python module). Export
     * only: import maps these descrs to the plain integer types above. */
    {TFCKPT_QINT8, "|i1"},     {TFCKPT_QUINT8, "|u1"},   {TFCKPT_QINT16, "<i2"},
    {TFCKPT_QUINT16, "<u2"},   {TFCKPT_QINT32, "<i4"},
};
#define NDESCR (sizeof kDescr / sizeof kDescr[0])

const char *tfckpt_npy_descr(tfckpt_dtype dtype) {
  for (size_t i = 0; i < NDESCR; i++)
    if (kDescr[i].dtype == dtype) return kDescr[i].descr;
  return NULL;
}

long tfckpt_npy_header(tfckpt_dtype dtype, int rank, const int64_t *dims, void *buf, size_t cap) {
  const char *descr = tfckpt_npy_descr(dtype);
  if (!descr) return TFCKPT_EUNSUPPORTED;
  if (rank < 0 || rank > TFCKPT_MAX_RANK || (rank && !dims)) return TFCKPT_EINVAL;
  char dict[64 + 22 * TFCKPT_MAX_RANK];
  size_t n = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                              descr);
  for (int i = 0; i < rank; i++)
    n += (size_t)snprintf(dict + n, sizeof dict - n, "%s%lld", i ? ", " : "", (long long)dims[i]);
  n += (size_t)snprintf(dict + n, sizeof dict - n, "%s), }", rank == 1 ? "," : "");
  size_t pre = 10, total = pre + n + 1;
  size_t pad = (64 - total % 64) % 64;
  total += pad;
  if (total > cap) return TFCKPT_ERANGE;
  uint8_t *p = buf;
  memcpy(p, "\x93NUMPY\x01\x00", 8);
  tfckpt__put_u16le(p + 8, (uint32_t)(total - pre));
  memcpy(p + pre, dict, n);
  memset(p + pre + n, ' ', pad);
  p[total - 1] = '\n';
  return (long)total;
}

static int perr(char *errbuf, size_t cap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(char *errbuf, size_t cap, int code, const char *fmt, ...) {
  if (errbuf && cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, cap, fmt, ap);
    va_end(ap);
  }
  return code;
}

typedef struct lex {
  const char *p, *end;
} lex;

static void skip_ws(lex *l) {
  while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r')) l->p++;
}
static int eat(lex *l, char c) {
  skip_ws(l);
  if (l->p < l->end && *l->p == c) {
    l->p++;
    return 1;
  }
  return 0;
}
/* A quoted Python string without escapes (all numpy writes); into out. */
static int pystr(lex *l, char *out, size_t cap) {
  skip_ws(l);
  if (l->p >= l->end || (*l->p != '\'' && *l->p != '"')) return -1;
  char q = *l->p++;
  size_t n = 0;
  while (l->p < l->end && *l->p != q) {
    if (*l->p == '\\' || n + 1 >= cap) return -1;
    out[n++] = *l->p++;
  }
  if (l->p >= l->end) return -1;
  l->p++;
  out[n] = '\0';
  return 0;
}

static int parse_descr(const char *d, tfckpt_dtype *dtype, int *big) {
  char order = d[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') return -1;
  *big = order == '>';
  const char *k = d + 1;
  static const struct {
    const char *code;
    tfckpt_dtype dtype;
  } codes[] = {{"f2", TFCKPT_HALF},    {"f4", TFCKPT_FLOAT},       {"f8", TFCKPT_DOUBLE},
               {"i1", TFCKPT_INT8},    {"i2", TFCKPT_INT16},       {"i4", TFCKPT_INT32},
               {"i8", TFCKPT_INT64},   {"u1", TFCKPT_UINT8},       {"u2", TFCKPT_UINT16},
               {"u4", TFCKPT_UINT32},  {"u8", TFCKPT_UINT64},      {"b1", TFCKPT_BOOL},
               {"c8", TFCKPT_COMPLEX64}, {"c16", TFCKPT_COMPLEX128}};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (!strcmp(k, codes[i].code)) {
      *dtype = codes[i].dtype;
      if (tfckpt_dtype_size(*dtype) == 1) *big = 0;
      return 0;
    }
  return -1;
}

int tfckpt_npy_parse_header(const void *buf, size_t len, tfckpt_npy_info *out, char *errbuf,
                            size_t errcap) {
  const uint8_t *p = buf;
  memset(out, 0, sizeof *out);
  if (len < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
    return perr(errbuf, errcap, TFCKPT_ECORRUPT, "bad .npy magic (not a .npy file)");
  unsigned major = p[6];
  size_t pre, hlen;
  if (major == 1) {
    pre = 10;
    hlen = tfckpt__get_u16le(p + 8);
  } else if (major == 2 || major == 3) {
    if (len < 12) return perr(errbuf, errcap, TFCKPT_ECORRUPT, "truncated .npy header");
    pre = 12;
    hlen = tfckpt__get_u32le(p + 8);
  } else {
    return perr(errbuf, errcap, TFCKPT_EUNSUPPORTED, "unsupported .npy version %u.%u", major,
                p[7]);
  }
  if (hlen > NPY_MAX_HEADER)
    return perr(errbuf, errcap, TFCKPT_ERANGE, ".npy header length %zu exceeds the %u-byte limit",
                hlen, NPY_MAX_HEADER);
  if (hlen > len - pre)
    return perr(errbuf, errcap, TFCKPT_ECORRUPT,
                ".npy header length %zu runs past the end of the data (%zu bytes)", hlen, len);
  lex l = {(const char *)p + pre, (const char *)p + pre + hlen};
  char key[32], descr[64] = "";
  int have_descr = 0, have_order = 0, have_shape = 0;
  if (!eat(&l, '{')) goto bad;
  for (;;) {
    if (eat(&l, '}')) break;
    if (pystr(&l, key, sizeof key) != 0 || !eat(&l, ':')) goto bad;
    skip_ws(&l);
    if (!strcmp(key, "descr")) {
      if (l.p < l.end && *l.p == '[')
        return perr(errbuf, errcap, TFCKPT_EUNSUPPORTED,
                    "structured .npy dtypes (descr is a list) are not supported");
      if (pystr(&l, descr, sizeof descr) != 0) goto bad;
      have_descr = 1;
    } else if (!strcmp(key, "fortran_order")) {
      if ((size_t)(l.end - l.p) >= 4 && !memcmp(l.p, "True", 4)) {
        out->fortran_order = 1;
        l.p += 4;
      } else if ((size_t)(l.end - l.p) >= 5 && !memcmp(l.p, "False", 5)) {
        l.p += 5;
      } else {
        goto bad;
      }
      have_order = 1;
    } else if (!strcmp(key, "shape")) {
      if (!eat(&l, '(')) goto bad;
      int rank = 0;
      for (;;) {
        if (eat(&l, ')')) break;
        skip_ws(&l);
        if (l.p >= l.end || !isdigit((unsigned char)*l.p)) goto bad;
        unsigned long long v = 0;
        while (l.p < l.end && isdigit((unsigned char)*l.p)) {
          if (v > (unsigned long long)INT64_MAX / 10)
            return perr(errbuf, errcap, TFCKPT_ERANGE, ".npy shape dimension too large");
          v = v * 10 + (unsigned)(*l.p++ - '0');
        }
        if (v > (unsigned long long)INT64_MAX)
          return perr(errbuf, errcap, TFCKPT_ERANGE, ".npy shape dimension too large");
        if (l.p < l.end && *l.p == 'L') l.p++; /* Python 2 longs */
        if (rank >= TFCKPT_MAX_RANK)
          return perr(errbuf, errcap, TFCKPT_EUNSUPPORTED, ".npy rank above %d", TFCKPT_MAX_RANK);
        out->dims[rank++] = (int64_t)v;
        if (eat(&l, ')')) break;
        if (!eat(&l, ',')) goto bad;
      }
      out->rank = rank;
      have_shape = 1;
    } else {
      goto bad;
    }
    if (eat(&l, '}')) break;
    if (!eat(&l, ',')) goto bad;
  }
  if (!have_descr || !have_order || !have_shape)
    return perr(errbuf, errcap, TFCKPT_ECORRUPT,
                ".npy header lacks one of 'descr', 'fortran_order', 'shape'");
  if (parse_descr(descr, &out->dtype, &out->big_endian) != 0)
    return perr(errbuf, errcap, TFCKPT_EUNSUPPORTED,
                "unsupported .npy dtype '%s' (object, string and structured arrays cannot be "
                "imported)",
                descr);
  uint64_t n = 1;
  for (int i = 0; i < out->rank; i++) {
    uint64_t d = (uint64_t)out->dims[i];
    if (d && n > UINT64_MAX / d) return perr(errbuf, errcap, TFCKPT_ERANGE, ".npy shape overflows");
    n *= d;
  }
  size_t es = tfckpt_dtype_size(out->dtype);
  if (n > (uint64_t)INT64_MAX / es)
    return perr(errbuf, errcap, TFCKPT_ERANGE, ".npy shape declares too many bytes");
  out->nbytes = n * es;
  out->header_len = pre + hlen;
  return TFCKPT_OK;
bad:
  return perr(errbuf, errcap, TFCKPT_ECORRUPT, "malformed .npy header dict near byte %zu",
              (size_t)(l.p - (const char *)p));
}

int cv_npy_layout(const tfckpt_tensor *t, const char *name, int bf16_as_f32, cv_layout *out,
                  tfckpt__err *err) {
  int dt = t->dtype;
  if (dt == TFCKPT_BFLOAT16) {
    if (!bf16_as_f32)
      return tfckpt__seterr(err, TFCKPT_EUNSUPPORTED,
                           "%s: bfloat16 has no numpy dtype (ask for float32 explicitly: "
                           "--bf16-as float32)",
                           name);
    out->file_dtype = TFCKPT_FLOAT;
    out->nbytes = (uint64_t)t->n * 4;
    return TFCKPT_OK;
  }
  if (!tfckpt_npy_descr(dt))
    return tfckpt__seterr(err, TFCKPT_EUNSUPPORTED, "%s: numpy files cannot hold %s tensors%s", name,
                         tfckpt_dtype_name(dt),
                         dt == TFCKPT_STRING ? " (variable-length bytes need pickled object arrays)"
                                             : "");
  out->file_dtype = dt;
  out->nbytes = t->nbytes;
  return TFCKPT_OK;
}

int cv_stream_values(const tfckpt_tensor *t, tfckpt_dtype file_dtype, cv_sink sink, void *ctx) {
  if (file_dtype == t->dtype) {
    const uint8_t *p = t->data;
    size_t left = t->nbytes;
    while (left) { /* chunks keep CRC and write calls interleaved with the page cache */
      size_t k = left > (64u << 20) ? (64u << 20) : left;
      int rc = sink(ctx, p, k);
      if (rc) return rc;
      p += k;
      left -= k;
    }
    return TFCKPT_OK;
  }
  if (t->dtype == TFCKPT_BFLOAT16 && file_dtype == TFCKPT_FLOAT) {
    enum { CHUNK = 16384 };
    float f[CHUNK];
    const uint8_t *p = t->data;
    for (int64_t i = 0; i < t->n;) {
      int64_t k = t->n - i < CHUNK ? t->n - i : CHUNK;
      for (int64_t j = 0; j < k; j++) {
        uint16_t b;
        memcpy(&b, p + 2 * (i + j), 2);
        f[j] = tfckpt__bf16_to_float(b);
      }
      int rc = sink(ctx, f, (size_t)k * 4);
      if (rc) return rc;
      i += k;
    }
    return TFCKPT_OK;
  }
  return TFCKPT_EUNSUPPORTED;
}

static int file_sink(void *ctx, const void *p, size_t n) {
  return fwrite(p, 1, n, (FILE *)ctx) == n ? TFCKPT_OK : TFCKPT_EIO;
}

int tfckpt_npy_write(FILE *f, const tfckpt_tensor *t, int bf16_as_float32) {
  if (!tfckpt__host_is_le()) return TFCKPT_EUNSUPPORTED;
  cv_layout lay = {0};
  int rc = cv_npy_layout(t, "tensor", bf16_as_float32, &lay, NULL);
  if (rc) return rc;
  uint8_t hdr[128 + 22 * TFCKPT_MAX_RANK];
  long h = tfckpt_npy_header(lay.file_dtype, t->rank, t->dims, hdr, sizeof hdr);
  if (h < 0) return (int)h;
  if (fwrite(hdr, 1, (size_t)h, f) != (size_t)h) return TFCKPT_EIO;
  return cv_stream_values(t, lay.file_dtype, file_sink, f);
}
