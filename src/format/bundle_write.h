/* Serializing V2 bundle protos and variable-length tensors exactly as
 * TensorFlow's BundleWriter does (formats.md section b, "Serializing the
 * protos exactly as TF does" and "Data shard layout"). */
#ifndef TFCKPT_FORMAT_BUNDLE_WRITE_H
#define TFCKPT_FORMAT_BUNDLE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "format/bundle.h"
#include "format/proto.h"

/* BundleHeaderProto{num_shards, endianness LITTLE, version{producer 1}}. */
void tfckpt__bundle_encode_header(tfckpt__buf *out, int32_t num_shards);

/* BundleEntryProto with proto3 rules: zero scalars omitted, shape always
 * present, crc32c as fixed32, slices in order.  Uses dtype, rank, dims,
 * shard_id, offset, size, crc32c (masked) and slices of `e`. */
void tfckpt__bundle_encode_entry(tfckpt__buf *out, const tfckpt__bundle_entry *e);

/* TensorSliceProto: a full dimension (length -1) is an empty Extent. */
void tfckpt__bundle_encode_slice(tfckpt__buf *out, const tfckpt__slice *s);

/* The first part of a DT_STRING tensor's bytes (varint lengths + masked
 * length checksum), given the element lengths.  *crc receives the running
 * CRC to continue over the string bytes (then mask() it for the entry). */
void tfckpt__string_tensor_prefix(tfckpt__buf *out, const size_t *lens, int64_t n,
                                 uint32_t *crc);

/* One DT_VARIANT element: varint64 length, bytes, masked running CRC.
 * `crc` is the running CRC (start at 0), updated. */
void tfckpt__variant_element(tfckpt__buf *out, const uint8_t *data, size_t len, uint32_t *crc);

#endif
