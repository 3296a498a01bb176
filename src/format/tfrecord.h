/* TFRecord framing (formats.md section i), as used by TensorBoard event
 * files:  u64 length | u32 masked crc32c(length bytes) | data | u32 masked
 * crc32c(data), all little-endian, records simply concatenated. */
#ifndef TFCKPT_FORMAT_TFRECORD_H
#define TFCKPT_FORMAT_TFRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/internal/error.h"
#include "format/proto.h"

/* Appends one framed record holding data[0..n) to out. */
void tfckpt__tfrecord_append(tfckpt__buf *out, const void *data, size_t n);

/* Reads the record starting at *pos in data[0..size): returns 1 and sets
 * *rec and *len (and advances *pos) on success, 0 at the end of the data,
 * TFCKPT_ECORRUPT for a truncated record and TFCKPT_ECHECKSUM for a CRC
 * mismatch (message names `name` and the offset). */
int tfckpt__tfrecord_next(const uint8_t *data, size_t size, size_t *pos, const uint8_t **rec,
                         size_t *len, const char *name, tfckpt__err *err);

/* Serialises Event{wall_time, step, summary{value{tag, simple_value}}}. */
void tfckpt__event_scalar(tfckpt__buf *out, double wall_time, int64_t step, const char *tag,
                         float value);
/* Serialises the first event of a file: Event{wall_time, file_version}. */
void tfckpt__event_file_version(tfckpt__buf *out, double wall_time);

#endif
