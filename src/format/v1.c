#include "format/v1.h"

#include <stdlib.h>
#include <string.h>

#include "core/coding.h"
#include "format/proto.h"

/* A V1 file lists at most this many tensors / slices per tensor (far above
 * anything real; keeps a forged count from driving allocations). */
#define MAX_V1_TENSORS (1 << 24)
#define MAX_V1_SLICES (1 << 20)

static void tensor_meta_free(tfckpt__v1_tensor_meta *t) {
  free(t->name);
  free(t->dims);
  for (int i = 0; i < t->nslices; i++) tfckpt__slice_free(&t->slices[i]);
  free(t->slices);
}

void tfckpt__v1_meta_free(tfckpt__v1_meta *m) {
  for (size_t i = 0; i < m->ntensors; i++) tensor_meta_free(&m->tensors[i]);
  free(m->tensors);
  memset(m, 0, sizeof *m);
}

static int decode_tensor_meta(const uint8_t *data, size_t len, tfckpt__v1_tensor_meta *t,
                              tfckpt__err *err) {
  memset(t, 0, sizeof *t);
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r, cap = 0, rc;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    switch (f.num) {
      case 1:
        if (f.wire != PB_LEN) goto wire;
        free(t->name);
        t->name = NULL; /* the NUL check below may fail and free it again */
        if (memchr(f.data, 0, f.len)) {
          rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "a tensor name contains a NUL byte");
          goto fail;
        }
        if (!(t->name = strndup((const char *)f.data, f.len))) goto oom;
        break;
      case 2:
        if (f.wire != PB_LEN) goto wire;
        free(t->dims);
        t->dims = NULL;
        if ((rc = tfckpt__decode_shape(f.data, f.len, &t->rank, &t->dims, err))) goto fail;
        break;
      case 3:
        if (f.wire != PB_VARINT) goto wire;
        t->dtype = f.v > 1000 ? -1 : (int)f.v;
        break;
      case 4:
        if (f.wire != PB_LEN) goto wire;
        if (t->nslices == cap) {
          if (cap >= MAX_V1_SLICES) {
            rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "tensor lists more than %d slices",
                               MAX_V1_SLICES);
            goto fail;
          }
          cap = cap ? cap * 2 : 2;
          tfckpt__slice *ns = realloc(t->slices, (size_t)cap * sizeof *ns);
          if (!ns) goto oom;
          t->slices = ns;
        }
        if ((rc = tfckpt__decode_slice(f.data, f.len, &t->slices[t->nslices], err))) goto fail;
        t->nslices++;
        break;
      default:
        break;
    }
  }
  if (r < 0) {
    rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed SavedSliceMeta (truncated protobuf)");
    goto fail;
  }
  if (!t->name) {
    rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "SavedSliceMeta without a name");
    goto fail;
  }
  return TFCKPT_OK;
wire:
  rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "SavedSliceMeta field %u has wire type %d", f.num,
                     f.wire);
  goto fail;
oom:
  rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
fail:
  tensor_meta_free(t);
  memset(t, 0, sizeof *t);
  return rc;
}

static int decode_versions(const uint8_t *data, size_t len, tfckpt__v1_meta *m) {
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1 && f.wire == PB_VARINT) m->producer = tfckpt__pb_int32(f.v);
    else if (f.num == 2 && f.wire == PB_VARINT) m->min_consumer = tfckpt__pb_int32(f.v);
  }
  return r;
}

int tfckpt__v1_decode_meta(const uint8_t *data, size_t len, tfckpt__v1_meta *out, tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r, have_meta = 0, rc;
  size_t cap = 0;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 2) {
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "the first entry holds slice data, not the table of contents");
      goto fail; /* a meta field before it may already hold tensors */
    }
    if (f.num != 1) continue;
    if (f.wire != PB_LEN) {
      /* goto fail: an earlier meta field may already hold tensors */
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "SavedTensorSlices.meta has wire type %d",
                         f.wire);
      goto fail;
    }
    have_meta = 1;
    tfckpt__pb mp = tfckpt__pb_init(f.data, f.len);
    tfckpt__pb_field g;
    int r2;
    while ((r2 = tfckpt__pb_next(&mp, &g)) > 0) {
      if (g.num == 2 && g.wire == PB_LEN) {
        if (decode_versions(g.data, g.len, out) < 0) {
          r2 = -1;
          break;
        }
        continue;
      }
      if (g.num != 1) continue;
      if (g.wire != PB_LEN) {
        rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "SavedTensorSliceMeta.tensor has wire type %d",
                           g.wire);
        goto fail;
      }
      if (out->ntensors == cap) {
        if (cap >= MAX_V1_TENSORS) {
          rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "table of contents lists too many tensors");
          goto fail;
        }
        cap = cap ? cap * 2 : 16;
        tfckpt__v1_tensor_meta *nt = realloc(out->tensors, cap * sizeof *nt);
        if (!nt) {
          rc = tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
          goto fail;
        }
        out->tensors = nt;
      }
      if ((rc = decode_tensor_meta(g.data, g.len, &out->tensors[out->ntensors], err))) {
        tfckpt__err_prefix(err, "tensor %zu of the table of contents", out->ntensors);
        goto fail;
      }
      out->ntensors++;
    }
    if (r2 < 0) {
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "malformed SavedTensorSliceMeta (truncated protobuf)");
      goto fail;
    }
  }
  if (r < 0) {
    rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed SavedTensorSlices (truncated protobuf)");
    goto fail;
  }
  if (!have_meta) {
    rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "no table of contents (SavedTensorSlices.meta)");
    goto fail;
  }
  return TFCKPT_OK;
fail:
  tfckpt__v1_meta_free(out);
  return rc;
}

int tfckpt__v1_decode_record(const uint8_t *data, size_t len, tfckpt__v1_record *out,
                            tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  tfckpt__pb pb = tfckpt__pb_init(data, len);
  tfckpt__pb_field f;
  int r, have_data = 0;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num != 2) continue;
    if (f.wire != PB_LEN) {
      tfckpt__slice_free(&out->slice); /* a previous data field may have set it */
      return tfckpt__seterr(err, TFCKPT_ECORRUPT, "SavedTensorSlices.data has wire type %d",
                           f.wire);
    }
    have_data = 1;
    tfckpt__pb sp = tfckpt__pb_init(f.data, f.len);
    tfckpt__pb_field g;
    int r2;
    while ((r2 = tfckpt__pb_next(&sp, &g)) > 0) {
      if (g.num < 1 || g.num > 3) continue;
      if (g.wire != PB_LEN) {
        tfckpt__slice_free(&out->slice);
        return tfckpt__seterr(err, TFCKPT_ECORRUPT, "SavedSlice field %u has wire type %d", g.num,
                             g.wire);
      }
      if (g.num == 1) {
        out->name = g.data;
        out->name_len = g.len;
      } else if (g.num == 2) {
        tfckpt__slice_free(&out->slice);
        int rc = tfckpt__decode_slice(g.data, g.len, &out->slice, err);
        if (rc) return rc;
        out->has_slice = 1;
      } else {
        out->tensor = g.data;
        out->tensor_len = g.len;
        out->has_tensor = 1;
      }
    }
    if (r2 < 0) r = -1;
    if (r < 0) break;
  }
  if (r < 0) {
    tfckpt__slice_free(&out->slice);
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed SavedSlice (truncated protobuf)");
  }
  if (!have_data) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "record holds no SavedSlice");
  return TFCKPT_OK;
}

/* The TensorProto field holding each dtype's values, the wire type of one
 * scalar, and how many scalars make one element. */
typedef struct value_field {
  uint32_t num;
  int wire;
  int per_elem;
} value_field;

static int field_for(tfckpt_dtype dtype, value_field *vf) {
  vf->per_elem = 1;
  switch (dtype) {
    case TFCKPT_FLOAT: vf->num = 5; vf->wire = PB_FIXED32; return 1;
    case TFCKPT_DOUBLE: vf->num = 6; vf->wire = PB_FIXED64; return 1;
    case TFCKPT_INT32:
    case TFCKPT_INT16:
    case TFCKPT_INT8:
    case TFCKPT_UINT8:
    case TFCKPT_QINT8:
    case TFCKPT_QUINT8:
    case TFCKPT_QINT32:
    case TFCKPT_QINT16:
    case TFCKPT_QUINT16:
    case TFCKPT_UINT16: vf->num = 7; vf->wire = PB_VARINT; return 1;
    case TFCKPT_STRING: vf->num = 8; vf->wire = PB_LEN; return 1;
    case TFCKPT_COMPLEX64: vf->num = 9; vf->wire = PB_FIXED32; vf->per_elem = 2; return 1;
    case TFCKPT_INT64: vf->num = 10; vf->wire = PB_VARINT; return 1;
    case TFCKPT_BOOL: vf->num = 11; vf->wire = PB_VARINT; return 1;
    case TFCKPT_COMPLEX128: vf->num = 12; vf->wire = PB_FIXED64; vf->per_elem = 2; return 1;
    case TFCKPT_HALF:
    case TFCKPT_BFLOAT16: vf->num = 13; vf->wire = PB_VARINT; return 1;
    case TFCKPT_UINT32: vf->num = 16; vf->wire = PB_VARINT; return 1;
    case TFCKPT_UINT64: vf->num = 17; vf->wire = PB_VARINT; return 1;
    default: return 0;
  }
}

int tfckpt__v1_dtype_supported(tfckpt_dtype dtype) {
  value_field vf;
  return field_for(dtype, &vf);
}

/* Stores scalar k (raw wire value) into the output array. */
static void put_scalar(uint8_t *out, tfckpt_dtype dtype, int64_t k, uint64_t v) {
  switch (dtype) {
    case TFCKPT_INT8:
    case TFCKPT_UINT8:
    case TFCKPT_QINT8:
    case TFCKPT_QUINT8:
      out[k] = (uint8_t)v;
      break;
    case TFCKPT_BOOL:
      out[k] = v != 0;
      break;
    case TFCKPT_INT16:
    case TFCKPT_UINT16:
    case TFCKPT_QINT16:
    case TFCKPT_QUINT16:
    case TFCKPT_HALF:
    case TFCKPT_BFLOAT16: {
      uint16_t x = (uint16_t)v;
      memcpy(out + 2 * k, &x, 2);
      break;
    }
    case TFCKPT_INT32:
    case TFCKPT_QINT32:
    case TFCKPT_UINT32:
    case TFCKPT_FLOAT:
    case TFCKPT_COMPLEX64: {
      uint32_t x = (uint32_t)v;
      memcpy(out + 4 * k, &x, 4);
      break;
    }
    default: /* int64, uint64, double, complex128 */
      memcpy(out + 8 * k, &v, 8);
      break;
  }
}

int tfckpt__v1_decode_values(const uint8_t *proto, size_t len, tfckpt_dtype dtype, int64_t n, void *out,
                            size_t *starts, size_t *lens, tfckpt__err *err) {
  value_field vf;
  if (!field_for(dtype, &vf))
    return tfckpt__seterr(err, TFCKPT_EUNSUPPORTED, "V1 checkpoints cannot hold %s values",
                         tfckpt_dtype_name(dtype));
  if (n < 0 || n > INT64_MAX / 2) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "bad element count");
  int64_t need = n * vf.per_elem, got = 0;
  const uint8_t *content = NULL;
  size_t content_len = 0;
  int has_content = 0;
  tfckpt__pb pb = tfckpt__pb_init(proto, len);
  tfckpt__pb_field f;
  int r;
  while ((r = tfckpt__pb_next(&pb, &f)) > 0) {
    if (f.num == 1) {
      if (f.wire != PB_VARINT) goto wire;
      if (f.v != 0 && f.v != (uint64_t)dtype)
        return tfckpt__seterr(err, TFCKPT_ECORRUPT, "TensorProto says dtype %s, expected %s",
                             tfckpt_dtype_name((int)(f.v > 1000 ? 0 : f.v)),
                             tfckpt_dtype_name(dtype));
      continue;
    }
    if (f.num == 4) {
      if (f.wire != PB_LEN) goto wire;
      content = f.data;
      content_len = f.len;
      has_content = 1;
      continue;
    }
    if (f.num != vf.num) continue;
    if (vf.wire == PB_LEN) { /* string_val: one element per field */
      if (f.wire != PB_LEN) goto wire;
      if (got >= need) goto too_many;
      starts[got] = (size_t)(f.data - proto);
      lens[got] = f.len;
      got++;
      continue;
    }
    if (f.wire == vf.wire) { /* unpacked */
      if (got >= need) goto too_many;
      put_scalar(out, dtype, got++, f.v);
      continue;
    }
    if (f.wire != PB_LEN) goto wire;
    /* packed */
    const uint8_t *p = f.data, *end = f.data + f.len;
    while (p < end) {
      uint64_t v;
      if (vf.wire == PB_VARINT) {
        p = tfckpt__get_varint64(p, end, &v);
        if (!p) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "truncated packed values");
      } else if (vf.wire == PB_FIXED32) {
        if (end - p < 4) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "truncated packed values");
        v = tfckpt__get_u32le(p);
        p += 4;
      } else {
        if (end - p < 8) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "truncated packed values");
        v = tfckpt__get_u64le(p);
        p += 8;
      }
      if (got >= need) goto too_many;
      put_scalar(out, dtype, got++, v);
    }
  }
  if (r < 0) return tfckpt__seterr(err, TFCKPT_ECORRUPT, "malformed TensorProto");
  if (got == 0 && has_content && need > 0 && dtype != TFCKPT_STRING) {
    size_t es = tfckpt_dtype_size(dtype);
    if ((uint64_t)content_len != (uint64_t)n * es)
      return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                           "tensor_content has %zu bytes, the slice needs %lld", content_len,
                           (long long)n * (long long)es);
    memcpy(out, content, content_len);
    return TFCKPT_OK;
  }
  if (got != need)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "holds %lld values, the slice needs %lld",
                         (long long)(got / vf.per_elem), (long long)n);
  return TFCKPT_OK;
too_many:
  return tfckpt__seterr(err, TFCKPT_ECORRUPT, "holds more values than the slice's %lld",
                       (long long)n);
wire:
  return tfckpt__seterr(err, TFCKPT_ECORRUPT, "TensorProto field %u has wire type %d", f.num,
                       f.wire);
}
