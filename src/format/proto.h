/* Protobuf wire format: a pull reader over a byte range, and a small growable
 * buffer writer.  Only what checkpoint protos need: varint, fixed32/64 and
 * length-delimited fields.  Groups (wire types 3/4) are rejected. */
#ifndef TFCKPT_FORMAT_PROTO_H
#define TFCKPT_FORMAT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "tfckpt/internal/buf.h"

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5 };

typedef struct tfckpt__pb {
  const uint8_t *p, *end;
} tfckpt__pb;

typedef struct tfckpt__pb_field {
  uint32_t num;   /* field number */
  int wire;       /* PB_* */
  uint64_t v;     /* value for varint / fixed fields */
  const uint8_t *data; /* PB_LEN: the bytes */
  size_t len;
} tfckpt__pb_field;

static inline tfckpt__pb tfckpt__pb_init(const void *data, size_t len) {
  tfckpt__pb pb = {(const uint8_t *)data, (const uint8_t *)data + len};
  return pb;
}

/* Reads the next field.  Returns 1 when a field was read, 0 at the end of the
 * message, -1 when the bytes are not a valid message (truncated field, length
 * past the end, bad wire type, field number 0). */
int tfckpt__pb_next(tfckpt__pb *pb, tfckpt__pb_field *f);

/* Number of elements in a packed repeated scalar field's bytes, whose
 * elements have wire type `elem_wire`; -1 if the bytes are malformed. */
int64_t tfckpt__pb_count_packed(const uint8_t *data, size_t len, int elem_wire);

/* Interprets a varint as a signed int32/int64 as protobuf does. */
static inline int64_t tfckpt__pb_int64(uint64_t v) { return (int64_t)v; }
static inline int32_t tfckpt__pb_int32(uint64_t v) { return (int32_t)(uint32_t)v; }

void tfckpt__pb_put_varint(tfckpt__buf *b, uint64_t v);
void tfckpt__pb_put_tag(tfckpt__buf *b, uint32_t num, int wire);
/* Field writers; proto3 semantics (omitting zero values) is the caller's. */
void tfckpt__pb_put_uint(tfckpt__buf *b, uint32_t num, uint64_t v);
void tfckpt__pb_put_fixed32(tfckpt__buf *b, uint32_t num, uint32_t v);
void tfckpt__pb_put_fixed64(tfckpt__buf *b, uint32_t num, uint64_t v);
void tfckpt__pb_put_bytes(tfckpt__buf *b, uint32_t num, const void *data, size_t n);

#endif
