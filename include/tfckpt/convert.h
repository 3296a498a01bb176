/*
 * Tensors in and out of numpy (.npy, .npz) and safetensors files.
 *
 *   // export: one tensor at a time, nothing held in memory
 *   tfckpt_arrays_writer *w;
 *   tfckpt_arrays_options o;
 *   tfckpt_arrays_options_init(&o);
 *   if (tfckpt_arrays_writer_open("model.npz", TFCKPT_ARRAYS_NPZ, &o, &w) != TFCKPT_OK) {
 *     fprintf(stderr, "%s\n", tfckpt_arrays_writer_errmsg(w));
 *     tfckpt_arrays_writer_close(w);
 *     return 1;
 *   }
 *   tfckpt_arrays_writer_add(w, "dense/kernel", kernel);
 *   if (tfckpt_arrays_writer_finish(w) != TFCKPT_OK) ...   // model.npz appears
 *   tfckpt_arrays_writer_close(w);
 *
 *   // import: .npz, .npy or .safetensors, recognised by their magic bytes
 *   tfckpt_arrays_reader *r;
 *   if (tfckpt_arrays_reader_open("model.safetensors", &r) == TFCKPT_OK)
 *     for (int64_t i = 0; i < tfckpt_arrays_reader_count(r); i++) {
 *       tfckpt_tensor *t;
 *       if (tfckpt_arrays_reader_get(r, i, &t) == TFCKPT_OK) { ...; tfckpt_tensor_free(t); }
 *     }
 *   tfckpt_arrays_reader_close(r);
 *
 * Ownership: as with the checkpoint reader, _open returns a handle even on
 * failure (NULL only when memory ran out); close it.  Names returned by a
 * reader belong to it.  Tensors from tfckpt_arrays_reader_get belong to the
 * caller and may be views of the reader's mapped file (tfckpt_tensor_is_view):
 * free them before closing the reader.
 *
 * Atomicity: writers create a temporary file (or, for TFCKPT_ARRAYS_NPY_DIR, a
 * temporary directory) next to the target, fsync it and rename it into place
 * in _finish.  A writer closed without a successful finish removes its
 * temporaries, so a failed export leaves nothing behind.
 *
 * dtypes: numpy descr '<f4' '<f8' '<f2' '|i1' '<i2' '<i4' '<i8' '|u1' '<u2'
 * '<u4' '<u8' '|b1' '<c8' '<c16'; safetensors F64 F32 F16 BF16 I64 I32 I16 I8
 * U64 U32 U16 U8 BOOL F8_E5M2 F8_E4M3.  bfloat16 has no numpy dtype: npy/npz
 * writers refuse it unless bf16_as_float32 is set (an explicit, exact
 * widening).  Strings, variants, quantized and 4-bit types, and complex for
 * safetensors are refused with TFCKPT_EUNSUPPORTED; nothing is converted
 * silently.  Values are written little-endian (the library requires a
 * little-endian host).
 */
#ifndef TFCKPT_CONVERT_H
#define TFCKPT_CONVERT_H

#include <stdio.h>

#include "tfckpt/tensor.h"
#include "tfckpt/tfckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- single .npy headers ------------------------------------------------ */

/* The numpy descr of `dtype` ("<f4", "|b1", ...), or NULL when numpy has no
 * equivalent (bfloat16, strings, quantized, float8, ...). */
TFCKPT_API const char *tfckpt_npy_descr(tfckpt_dtype dtype);

/*! tfckpt_npy_header() :
 *  Writes the .npy preamble (magic, version, header dict, padding to 64
 *  bytes) for an array of `dtype` (must have a descr) and shape `dims`.
 *  Version 1.0 is used unless the header needs more than 65535 bytes (2.0).
 *  @return the preamble length (> 0), or a negative status: TFCKPT_EUNSUPPORTED
 *          (no descr), TFCKPT_ERANGE (cap too small; need <= 128 + 22*rank). */
TFCKPT_API long tfckpt_npy_header(tfckpt_dtype dtype, int rank, const int64_t *dims, void *buf, size_t cap);

/* What a .npy preamble says. */
typedef struct tfckpt_npy_info {
  tfckpt_dtype dtype;
  int big_endian;       /* descr began with '>' */
  int fortran_order;
  int rank;
  int64_t dims[TFCKPT_MAX_RANK];
  size_t header_len;    /* bytes before the values */
  uint64_t nbytes;      /* bytes of values the header declares */
} tfckpt_npy_info;

/*! tfckpt_npy_parse_header() :
 *  Parses the preamble at the start of `buf` (`len` bytes available).
 *  On failure writes a message ("bad .npy magic", "unsupported descr '|O'",
 *  ...) into errbuf (may be NULL).
 *  @return TFCKPT_OK, TFCKPT_ECORRUPT, TFCKPT_EUNSUPPORTED, TFCKPT_ERANGE. */
TFCKPT_API int tfckpt_npy_parse_header(const void *buf, size_t len, tfckpt_npy_info *out /* OUT */,
                            char *errbuf, size_t errcap);

/* Writes `t` as a complete .npy stream to `f` (bf16_as_float32: widen
 * bfloat16 to '<f4').  @return TFCKPT_OK, TFCKPT_EUNSUPPORTED, TFCKPT_EIO. */
TFCKPT_API int tfckpt_npy_write(FILE *f, const tfckpt_tensor *t, int bf16_as_float32);

/* ---- writers: npz, directory of .npy, safetensors ------------------------ */

typedef enum tfckpt_arrays_format {
  TFCKPT_ARRAYS_NPZ = 1,         /* one zip; member "<name>.npy" per tensor */
  TFCKPT_ARRAYS_NPY_DIR = 2,     /* DIR/<scope>/<sub>/<leaf>.npy */
  TFCKPT_ARRAYS_SAFETENSORS = 3  /* one .safetensors file */
} tfckpt_arrays_format;

typedef struct tfckpt_arrays_options {
  int bf16_as_float32;  /* npy/npz: write bfloat16 as float32 (default 0: error) */
  int compress;         /* npz: 0 stored (numpy.savez, default), 1..9 deflate level */
  int force_zip64;      /* npz: zip64 records even when not needed (tests) */
} tfckpt_arrays_options;

TFCKPT_API void tfckpt_arrays_options_init(tfckpt_arrays_options *o);

/* 1 when `format` (with options `o`, may be NULL) can hold `dtype`, else 0;
 * when 0 and why != NULL, *why is a short static reason. */
TFCKPT_API int tfckpt_arrays_supports(tfckpt_arrays_format format, tfckpt_dtype dtype, const tfckpt_arrays_options *o,
                           const char **why /* OUT */);

typedef struct tfckpt_arrays_writer tfckpt_arrays_writer;

/*! tfckpt_arrays_writer_open() :
 *  Starts writing `path` in `format`.  For TFCKPT_ARRAYS_NPY_DIR `path` must
 *  not exist or be an empty directory; files are replaced by the final
 *  rename.  `o` may be NULL.
 *  @return TFCKPT_OK, TFCKPT_EINVAL, TFCKPT_EEXIST, TFCKPT_EIO (e.g. the
 *          directory is not writable; the message names it). */
TFCKPT_API int tfckpt_arrays_writer_open(const char *path, tfckpt_arrays_format format, const tfckpt_arrays_options *o,
                              tfckpt_arrays_writer **out /* OUT */);
TFCKPT_API const char *tfckpt_arrays_writer_errmsg(const tfckpt_arrays_writer *w);

/* safetensors only: a "__metadata__" string pair; before the first add. */
TFCKPT_API int tfckpt_arrays_writer_set_metadata(tfckpt_arrays_writer *w, const char *key, const char *value);

/*! tfckpt_arrays_writer_declare() :
 *  Announces a tensor before any values are written.  Required for
 *  safetensors, whose header (with every offset) precedes the data: declare
 *  every tensor, then add them in the same order.  Ignored by the other
 *  formats.  @return TFCKPT_OK, TFCKPT_EEXIST, TFCKPT_EUNSUPPORTED, ... */
TFCKPT_API int tfckpt_arrays_writer_declare(tfckpt_arrays_writer *w, const char *name, tfckpt_dtype dtype, int rank,
                                 const int64_t *dims);

/* Appends one tensor's values (streamed; `t` may be freed right after).
 * @return TFCKPT_OK, TFCKPT_EUNSUPPORTED (dtype), TFCKPT_EINVAL (name not
 *         usable or not the next declared one), TFCKPT_EEXIST, TFCKPT_EIO. */
TFCKPT_API int tfckpt_arrays_writer_add(tfckpt_arrays_writer *w, const char *name, const tfckpt_tensor *t);

/* Writes the trailer (zip central directory), syncs and renames into place. */
TFCKPT_API int tfckpt_arrays_writer_finish(tfckpt_arrays_writer *w);

/* Frees the writer; if not finished, removes the temporary output. */
TFCKPT_API void tfckpt_arrays_writer_close(tfckpt_arrays_writer *w);

/* ---- readers ------------------------------------------------------------ */

typedef struct tfckpt_arrays_reader tfckpt_arrays_reader;

/*! tfckpt_arrays_reader_open() :
 *  Opens a .npz (zip of .npy members, stored or deflated, zip64 allowed), a
 *  single .npy file (one tensor named after the file, without ".npy") or a
 *  .safetensors file.  Every offset and size in the file is checked against
 *  the file's size here.  @return TFCKPT_OK, TFCKPT_ENOTFOUND, TFCKPT_ECORRUPT,
 *  TFCKPT_EUNSUPPORTED, TFCKPT_ERANGE. */
TFCKPT_API int tfckpt_arrays_reader_open(const char *path, tfckpt_arrays_reader **out /* OUT */);
TFCKPT_API void tfckpt_arrays_reader_close(tfckpt_arrays_reader *r);
TFCKPT_API const char *tfckpt_arrays_reader_errmsg(const tfckpt_arrays_reader *r);

/* "npz", "npy" or "safetensors". */
TFCKPT_API const char *tfckpt_arrays_reader_format(const tfckpt_arrays_reader *r);

TFCKPT_API int64_t tfckpt_arrays_reader_count(const tfckpt_arrays_reader *r);
/* Tensor i's name (npz: member name without ".npy"). */
TFCKPT_API const char *tfckpt_arrays_reader_name(const tfckpt_arrays_reader *r, int64_t i);
/* Tensor i's dtype and shape, without reading values. */
TFCKPT_API int tfckpt_arrays_reader_info(const tfckpt_arrays_reader *r, int64_t i, tfckpt_dtype *dtype /* OUT */,
                              int *rank /* OUT */, const int64_t **dims /* OUT */);
/* Reads tensor i (zip members: CRC-32 checked; deflated ones inflated). */
TFCKPT_API int tfckpt_arrays_reader_get(tfckpt_arrays_reader *r, int64_t i, tfckpt_tensor **out /* OUT */);

/* safetensors "__metadata__": number of pairs and pair k (else 0 / error). */
TFCKPT_API int64_t tfckpt_arrays_reader_num_metadata(const tfckpt_arrays_reader *r);
TFCKPT_API int tfckpt_arrays_reader_metadata(const tfckpt_arrays_reader *r, int64_t k,
                                  const char **key /* OUT */, const char **value /* OUT */);

#ifdef __cplusplus
}
#endif
#endif
