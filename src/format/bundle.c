#include "format/bundle.h"

#include <stdlib.h>
#include <string.h>

#include "core/coding.h"
#include "core/crc32c.h"

int tfckpt__bundle_decode_header(const uint8_t *data, size_t len, tfckpt__bundle_header *out) {
  memset(out, 0, sizeof *out);
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1 && f.wire == PB_VARINT) out->num_shards = tfckpt__pb_int32(f.v);
    else if (f.num == 2 && f.wire == PB_VARINT) out->big_endian = f.v == 1;
    else if (f.num == 3 && f.wire == PB_LEN) {
      tfckpt__pb v = tfckpt__pb_init(f.data, f.len);
      tfckpt__pb_field g;
      int r2;
      while ((r2 = tfckpt__pb_next(&v, &g)) > 0) {
        if (g.num == 1 && g.wire == PB_VARINT) out->producer = tfckpt__pb_int32(g.v);
        else if (g.num == 2 && g.wire == PB_VARINT) out->min_consumer = tfckpt__pb_int32(g.v);
        else if (g.num == 3 && g.wire == PB_VARINT && g.v == 1) out->bad_consumer_1 = 1;
        else if (g.num == 3 && g.wire == PB_LEN) {
          const uint8_t *p = g.data, *end = g.data + g.len;
          while (p < end) {
            uint64_t x;
            if (!(p = tfckpt__get_varint64(p, end, &x))) return -1;
            if (x == 1) out->bad_consumer_1 = 1;
          }
        }
      }
      if (r2 < 0) return -1;
    }
  }
  return r < 0 ? -1 : 0;
}

int tfckpt__decode_dim_size(const uint8_t *data, size_t len, int64_t *size) {
  tfckpt__pb dim = tfckpt__pb_init(data, len);
  tfckpt__pb_field g;
  int r;
  *size = 0;
  while ((r = tfckpt__pb_next(&dim, &g)) > 0)
    if (g.num == 1 && g.wire == PB_VARINT) *size = tfckpt__pb_int64(g.v);
  return r < 0 ? -1 : 0;
}

int tfckpt__decode_shape(const uint8_t *data, size_t len, int *rank, int64_t **dims,
                        tfckpt__err *err) {
  *rank = 0;
  *dims = NULL;
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r, n = 0, cap = 0, unknown = 0;
  int64_t *d = NULL;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 2 && f.wire == PB_LEN) {
      int64_t size;
      if (tfckpt__decode_dim_size(f.data, f.len, &size) < 0) break;
      if (n >= TFCKPT_MAX_RANK) {
        free(d);
        return tfckpt__seterr(err, TFCKPT_ECORRUPT, "shape has more than %d dimensions",
                             TFCKPT_MAX_RANK);
      }
      if (n == cap) {
        cap = cap ? cap * 2 : 4;
        int64_t *nd = realloc(d, (size_t)cap * sizeof *nd);
        if (!nd) {
          free(d);
          return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
        }
        d = nd;
      }
      d[n++] = size;
    } else if (f.num == 3 && f.wire == PB_VARINT) {
      unknown = f.v != 0;
    }
  }
  if (r < 0) {
    free(d);
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed TensorShapeProto");
  }
  for (int i = 0; i < n; i++)
    if (d[i] < 0) {
      int64_t bad = d[i];
      free(d);
      return tfckpt__seterr(err, TFCKPT_ECORRUPT, "shape has a negative dimension (%lld)",
                           (long long)bad);
    }
  *rank = unknown ? -1 : n;
  *dims = d;
  return TFCKPT_OK;
}

void tfckpt__slice_free(tfckpt__slice *s) {
  free(s->start);
  free(s->length);
  memset(s, 0, sizeof *s);
}

int tfckpt__decode_slice(const uint8_t *data, size_t len, tfckpt__slice *out, tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r, cap = 0;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num != 1 || f.wire != PB_LEN) continue;
    int64_t start = 0, length = -1;
    tfckpt__pb ex = tfckpt__pb_init(f.data, f.len);
    tfckpt__pb_field g;
    int r2;
    while ((r2 = tfckpt__pb_next(&ex, &g)) > 0) {
      if (g.num == 1 && g.wire == PB_VARINT) start = tfckpt__pb_int64(g.v);
      else if (g.num == 2 && g.wire == PB_VARINT) length = tfckpt__pb_int64(g.v);
    }
    if (r2 < 0) {
      r = -1;
      break;
    }
    if (start < 0 || length < -1) {
      tfckpt__slice_free(out);
      return tfckpt__seterr(err, TFCKPT_ECORRUPT, "slice has a negative extent");
    }
    if (out->rank >= TFCKPT_MAX_RANK) {
      tfckpt__slice_free(out);
      return tfckpt__seterr(err, TFCKPT_ECORRUPT, "slice has too many dimensions");
    }
    if (out->rank == cap) {
      cap = cap ? cap * 2 : 4;
      int64_t *ns = realloc(out->start, (size_t)cap * sizeof *ns);
      if (ns) out->start = ns;
      int64_t *nl = ns ? realloc(out->length, (size_t)cap * sizeof *nl) : NULL;
      if (nl) out->length = nl;
      if (!ns || !nl) {
        tfckpt__slice_free(out);
        return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
      }
    }
    out->start[out->rank] = start;
    out->length[out->rank] = length;
    out->rank++;
  }
  if (r < 0) {
    tfckpt__slice_free(out);
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed TensorSliceProto");
  }
  return TFCKPT_OK;
}

void tfckpt__bundle_entry_free(tfckpt__bundle_entry *e) {
  free(e->dims);
  for (int i = 0; i < e->nslices; i++) tfckpt__slice_free(&e->slices[i]);
  free(e->slices);
  memset(e, 0, sizeof *e);
}

int tfckpt__bundle_decode_entry(const uint8_t *data, size_t len, tfckpt__bundle_entry *out,
                               tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r, rc = 0, cap = 0;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    switch (f.num) {
      case 1:
        if (f.wire != PB_VARINT) goto bad;
        out->dtype = (int)tfckpt__pb_int32(f.v);
        break;
      case 2:
        if (f.wire != PB_LEN) goto bad;
        free(out->dims);
        rc = tfckpt__decode_shape(f.data, f.len, &out->rank, &out->dims, err);
        if (rc) goto fail;
        break;
      case 3:
        if (f.wire != PB_VARINT) goto bad;
        out->shard_id = tfckpt__pb_int32(f.v);
        break;
      case 4:
        if (f.wire != PB_VARINT) goto bad;
        out->offset = tfckpt__pb_int64(f.v);
        break;
      case 5:
        if (f.wire != PB_VARINT) goto bad;
        out->size = tfckpt__pb_int64(f.v);
        break;
      case 6:
        if (f.wire != PB_FIXED32) goto bad;
        out->crc32c = (uint32_t)f.v;
        out->has_crc = 1;
        break;
      case 7: {
        if (f.wire != PB_LEN) goto bad;
        if (out->nslices == cap) {
          if (cap > 1 << 20) goto bad;
          cap = cap ? cap * 2 : 4;
          tfckpt__slice *ns = realloc(out->slices, (size_t)cap * sizeof *ns);
          if (!ns) {
            rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
            goto fail;
          }
          out->slices = ns;
        }
        rc = tfckpt__decode_slice(f.data, f.len, &out->slices[out->nslices], err);
        if (rc) goto fail;
        out->nslices++;
        break;
      }
      default:
        break; /* unknown fields are skipped, as protobuf does */
    }
  }
  if (r < 0) goto bad;
  if (out->offset < 0 || out->size < 0 || out->shard_id < 0) {
    rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "negative shard, offset or size");
    goto fail;
  }
  return TFCKPT_OK;
bad:
  rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed BundleEntryProto");
fail:
  tfckpt__bundle_entry_free(out);
  return rc;
}

/* OrderedCode (TF core/lib/strings/ordered_code.cc) */
static void oc_unsigned(tfckpt__buf *b, uint64_t v) {
  uint8_t tmp[9];
  int n = 0;
  for (uint64_t x = v; x; x >>= 8) n++;
  tmp[0] = (uint8_t)n;
  for (int i = 0; i < n; i++) tmp[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  tfckpt__buf_append(b, tmp, (size_t)n + 1);
}

static void oc_string(tfckpt__buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c == 0x00) tfckpt__buf_append(b, "\x00\xff", 2);
    else if (c == 0xff) tfckpt__buf_append(b, "\xff\x00", 2);
    else tfckpt__buf_append(b, &c, 1);
  }
  tfckpt__buf_append(b, "\x00\x01", 2);
}

static void oc_signed(tfckpt__buf *b, int64_t v) {
  static const uint8_t hdr[11][2] = {{0, 0},       {0x80, 0},    {0xc0, 0},    {0xe0, 0},
                                      {0xf0, 0},    {0xf8, 0},    {0xfc, 0},    {0xfe, 0},
                                      {0xff, 0},    {0xff, 0x80}, {0xff, 0xc0}};
  uint64_t x = v >= 0 ? (uint64_t)v : ~(uint64_t)v;
  int bits = 0;
  while (bits < 64 && x >> bits) bits++;
  int len = bits / 7 + 1;
  uint8_t tmp[10];
  /* low `len` bytes of v sign-extended to 80 bits, big-endian */
  for (int i = 0; i < len; i++) {
    int shift = 8 * (len - 1 - i);
    tmp[i] = shift >= 64 ? (v < 0 ? 0xff : 0x00) : (uint8_t)((uint64_t)v >> shift);
  }
  tmp[0] ^= hdr[len][0];
  if (len > 1) tmp[1] ^= hdr[len][1];
  tfckpt__buf_append(b, tmp, (size_t)len);
}

void tfckpt__encode_slice_key(tfckpt__buf *out, const char *name, size_t name_len,
                             const tfckpt__slice *slice) {
  oc_unsigned(out, 0);
  oc_string(out, name, name_len);
  oc_unsigned(out, (uint64_t)slice->rank);
  for (int i = 0; i < slice->rank; i++) {
    if (slice->length[i] == -1) {
      oc_signed(out, 0);
      oc_signed(out, -1);
    } else {
      oc_signed(out, slice->start[i]);
      oc_signed(out, slice->length[i]);
    }
  }
}

int tfckpt__parse_string_tensor(const uint8_t *data, size_t size, int64_t n, int big_endian,
                               uint32_t masked_crc, int check, size_t *starts, size_t *lens,
                               tfckpt__err *err) {
  const uint8_t *p = data, *end = data + size;
  uint32_t crc = 0;
  uint64_t total = 0;
  if (size == 0 && n == 0) return TFCKPT_OK;
  /* Each length needs at least one byte: a count beyond the size is corrupt
   * and must be refused before it drives any loop. */
  if (n < 0 || (uint64_t)n > size)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "string tensor of %lld elements in %zu bytes",
                         (long long)n, size);
  for (int64_t i = 0; i < n; i++) {
    uint64_t len;
    p = tfckpt__get_varint64(p, end, &len);
    if (!p) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "truncated string lengths");
    if (len > size) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "string length past the data");
    uint8_t tmp[8];
    if (len <= 0xffffffffu) {
      uint32_t l32 = (uint32_t)len;
      if (big_endian) l32 = __builtin_bswap32(l32);
      memcpy(tmp, &l32, 4);
      crc = tfckpt__crc32c_extend(crc, tmp, 4);
    } else {
      uint64_t l64 = len;
      if (big_endian) l64 = __builtin_bswap64(l64);
      memcpy(tmp, &l64, 8);
      crc = tfckpt__crc32c_extend(crc, tmp, 8);
    }
    lens[i] = (size_t)len;
    total += len;
  }
  if (end - p < 4) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "truncated string checksum");
  uint32_t stored = tfckpt__get_u32le(p);
  if (big_endian) stored = __builtin_bswap32(stored);
  if (check && tfckpt__crc_unmask(stored) != crc)
    return tfckpt__seterr(err, TFCKPT_ECHECKSUM, "string lengths checksum mismatch");
  crc = tfckpt__crc32c_extend(crc, p, 4);
  p += 4;
  if (total != (uint64_t)(end - p))
    return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "string tensor size mismatch: lengths add up to %llu, %zu bytes left",
                         (unsigned long long)total, (size_t)(end - p));
  size_t off = (size_t)(p - data);
  for (int64_t i = 0; i < n; i++) {
    starts[i] = off;
    off += lens[i];
  }
  if (check) {
    crc = tfckpt__crc32c_extend(crc, p, (size_t)total);
    if (tfckpt__crc_mask(crc) != masked_crc)
      return tfckpt__seterr(err, TFCKPT_ECHECKSUM, "checksum mismatch");
  }
  return TFCKPT_OK;
}

int tfckpt__parse_variant_tensor(const uint8_t *data, size_t size, int64_t n,
                                uint32_t masked_crc, int check, size_t *starts, size_t *lens,
                                tfckpt__err *err) {
  const uint8_t *p = data, *end = data + size;
  uint32_t crc = 0;
  if (n < 0 || (uint64_t)n > size / 5 + 1)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "variant tensor of %lld elements in %zu bytes",
                         (long long)n, size);
  for (int64_t i = 0; i < n; i++) {
    uint64_t len;
    p = tfckpt__get_varint64(p, end, &len);
    if (!p || len > (uint64_t)(end - p) || (uint64_t)(end - p) - len < 4)
      return tfckpt__seterr(err, TFCKPT_ECORRUPT, "truncated variant element %lld",
                           (long long)i);
    uint8_t tmp[8];
    tfckpt__put_u64le(tmp, len);
    crc = tfckpt__crc32c_extend(crc, tmp, 8);
    crc = tfckpt__crc32c_extend(crc, p, (size_t)len);
    starts[i] = (size_t)(p - data);
    lens[i] = (size_t)len;
    p += len;
    uint32_t stored = tfckpt__get_u32le(p);
    if (check && tfckpt__crc_unmask(stored) != crc)
      return tfckpt__seterr(err, TFCKPT_ECHECKSUM, "variant element %lld checksum mismatch",
                           (long long)i);
    crc = tfckpt__crc32c_extend(crc, p, 4);
    p += 4;
  }
  if (p != end)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "variant tensor has %zu trailing bytes",
                         (size_t)(end - p));
  if (check && tfckpt__crc_mask(crc) != masked_crc)
    return tfckpt__seterr(err, TFCKPT_ECHECKSUM, "checksum mismatch");
  return TFCKPT_OK;
}
