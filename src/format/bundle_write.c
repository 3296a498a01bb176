#include "format/bundle_write.h"

#include <string.h>

#include "core/coding.h"
#include "core/crc32c.h"

void tfckpt__bundle_encode_header(tfckpt__buf *out, int32_t num_shards) {
  if (num_shards) tfckpt__pb_put_uint(out, 1, (uint64_t)(int64_t)num_shards);
  /* endianness LITTLE = 0 is omitted; version{producer: 1, min_consumer: 0} */
  static const uint8_t version[] = {0x08, 0x01};
  tfckpt__pb_put_bytes(out, 3, version, sizeof version);
}

static void encode_shape(tfckpt__buf *out, int rank, const int64_t *dims) {
  tfckpt__buf shape = {0};
  for (int i = 0; i < rank; i++) {
    uint8_t dim[12];
    size_t n = 0;
    if (dims[i] != 0) {
      dim[n++] = 0x08;
      n += tfckpt__put_varint64(dim + n, (uint64_t)dims[i]);
    }
    tfckpt__pb_put_bytes(&shape, 2, dim, n);
  }
  if (shape.oom) out->oom = 1;
  tfckpt__pb_put_bytes(out, 2, shape.data, shape.len);
  tfckpt__buf_free(&shape);
}

void tfckpt__bundle_encode_slice(tfckpt__buf *out, const tfckpt__slice *s) {
  for (int d = 0; d < s->rank; d++) {
    uint8_t ext[24];
    size_t n = 0;
    if (s->length[d] != -1) {
      if (s->start[d] != 0) {
        ext[n++] = 0x08;
        n += tfckpt__put_varint64(ext + n, (uint64_t)s->start[d]);
      }
      ext[n++] = 0x10; /* in a oneof: written even when 0 */
      n += tfckpt__put_varint64(ext + n, (uint64_t)s->length[d]);
    }
    tfckpt__pb_put_bytes(out, 1, ext, n);
  }
}

void tfckpt__bundle_encode_entry(tfckpt__buf *out, const tfckpt__bundle_entry *e) {
  if (e->dtype) tfckpt__pb_put_uint(out, 1, (uint64_t)e->dtype);
  encode_shape(out, e->rank, e->dims);
  if (e->shard_id) tfckpt__pb_put_uint(out, 3, (uint64_t)(int64_t)e->shard_id);
  if (e->offset) tfckpt__pb_put_uint(out, 4, (uint64_t)e->offset);
  if (e->size) tfckpt__pb_put_uint(out, 5, (uint64_t)e->size);
  if (e->crc32c) tfckpt__pb_put_fixed32(out, 6, e->crc32c);
  for (int k = 0; k < e->nslices; k++) {
    tfckpt__buf sl = {0};
    tfckpt__bundle_encode_slice(&sl, &e->slices[k]);
    if (sl.oom) out->oom = 1;
    tfckpt__pb_put_bytes(out, 7, sl.data, sl.len);
    tfckpt__buf_free(&sl);
  }
}

void tfckpt__string_tensor_prefix(tfckpt__buf *out, const size_t *lens, int64_t n, uint32_t *crc) {
  uint32_t c = 0;
  for (int64_t i = 0; i < n; i++) {
    uint8_t v[10], raw[8];
    tfckpt__buf_append(out, v, tfckpt__put_varint64(v, lens[i]));
    /* the checksum covers each length as a u32 (u64 when it does not fit) */
    if ((uint64_t)lens[i] <= 0xffffffffu) {
      tfckpt__put_u32le(raw, (uint32_t)lens[i]);
      c = tfckpt__crc32c_extend(c, raw, 4);
    } else {
      tfckpt__put_u64le(raw, (uint64_t)lens[i]);
      c = tfckpt__crc32c_extend(c, raw, 8);
    }
  }
  uint8_t m[4];
  tfckpt__put_u32le(m, tfckpt__crc_mask(c));
  tfckpt__buf_append(out, m, 4);
  *crc = tfckpt__crc32c_extend(c, m, 4);
}

void tfckpt__variant_element(tfckpt__buf *out, const uint8_t *data, size_t len, uint32_t *crc) {
  uint8_t v[10], raw[8], m[4];
  tfckpt__buf_append(out, v, tfckpt__put_varint64(v, len));
  tfckpt__put_u64le(raw, (uint64_t)len);
  uint32_t c = tfckpt__crc32c_extend(*crc, raw, 8);
  c = tfckpt__crc32c_extend(c, data, len);
  tfckpt__buf_append(out, data, len);
  tfckpt__put_u32le(m, tfckpt__crc_mask(c));
  tfckpt__buf_append(out, m, 4);
  *crc = tfckpt__crc32c_extend(c, m, 4);
}
