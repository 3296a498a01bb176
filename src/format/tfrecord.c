/* TFRecord framing and the two Event protos TensorBoard needs for scalars. */
#include <string.h>

#include "core/coding.h"
#include "core/crc32c.h"
#include "format/tfrecord.h"

void tfckpt__tfrecord_append(tfckpt__buf *out, const void *data, size_t n) {
  uint8_t head[12], tail[4];
  tfckpt__put_u64le(head, (uint64_t)n);
  tfckpt__put_u32le(head + 8, tfckpt__crc_mask(tfckpt__crc32c(head, 8)));
  tfckpt__put_u32le(tail, tfckpt__crc_mask(tfckpt__crc32c(data, n)));
  tfckpt__buf_append(out, head, sizeof head);
  tfckpt__buf_append(out, data, n);
  tfckpt__buf_append(out, tail, sizeof tail);
}

int tfckpt__tfrecord_next(const uint8_t *data, size_t size, size_t *pos, const uint8_t **rec,
                         size_t *len, const char *name, tfckpt__err *err) {
  size_t p = *pos;
  if (p >= size) return 0;
  if (size - p < 12)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: truncated record header at offset %zu", name, p);
  uint64_t n = tfckpt__get_u64le(data + p);
  if (tfckpt__crc_unmask(tfckpt__get_u32le(data + p + 8)) != tfckpt__crc32c(data + p, 8))
    return tfckpt__seterr(err, TFCKPT_ECHECKSUM, "%s: record length checksum mismatch at offset %zu",
                         name, p);
  if (n > size - p - 12 || size - p - 12 - n < 4)
    return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: truncated record at offset %zu", name, p);
  const uint8_t *d = data + p + 12;
  if (tfckpt__crc_unmask(tfckpt__get_u32le(d + n)) != tfckpt__crc32c(d, (size_t)n))
    return tfckpt__seterr(err, TFCKPT_ECHECKSUM, "%s: record data checksum mismatch at offset %zu",
                         name, p);
  *rec = d;
  *len = (size_t)n;
  *pos = p + 12 + (size_t)n + 4;
  return 1;
}

static uint64_t double_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

void tfckpt__event_file_version(tfckpt__buf *out, double wall_time) {
  tfckpt__pb_put_fixed64(out, 1, double_bits(wall_time));
  tfckpt__pb_put_bytes(out, 3, "brain.Event:2", 13);
}

void tfckpt__event_scalar(tfckpt__buf *out, double wall_time, int64_t step, const char *tag,
                         float value) {
  tfckpt__buf val = {0}, sum = {0};
  uint32_t vb;
  memcpy(&vb, &value, 4);
  tfckpt__pb_put_bytes(&val, 1, tag, strlen(tag));
  tfckpt__pb_put_fixed32(&val, 2, vb);
  tfckpt__pb_put_bytes(&sum, 1, val.data, val.len);
  tfckpt__pb_put_fixed64(out, 1, double_bits(wall_time));
  if (step) tfckpt__pb_put_uint(out, 2, (uint64_t)step);
  tfckpt__pb_put_bytes(out, 5, sum.data, sum.len);
  if (val.oom || sum.oom) out->oom = 1;
  tfckpt__buf_free(&val);
  tfckpt__buf_free(&sum);
}
