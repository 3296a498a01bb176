/*
 * tfckpt — TensorFlow checkpoints without TensorFlow.
 *
 * This header holds what every part of the library shares: status codes and
 * the data types.  The reader API is in <tfckpt/reader.h>.
 *
 * Conventions used by every public function:
 *   - The return value is an int status: TFCKPT_OK (0) or a negative
 *     TFCKPT_E* code.  Details of the last failure are kept by the handle the
 *     function was called on and read with that handle's _errmsg() function.
 *   - Whoever calls an _open/_new function calls the matching _close/_free.
 *   - The library never prints and never exits the process.
 */
#ifndef TFCKPT_TFCKPT_H
#define TFCKPT_TFCKPT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFCKPT_VERSION_STRING "0.1.0"

/* Marks the functions the shared library exports; everything else is built
 * with hidden visibility. */
#if defined(__GNUC__) || defined(__clang__)
#define TFCKPT_API __attribute__((visibility("default")))
#else
#define TFCKPT_API
#endif

/* Status codes.  All errors are negative; functions return them as int. */
typedef enum tfckpt_status {
  TFCKPT_OK = 0,
  TFCKPT_ENOMEM = -1,    /* an allocation failed */
  TFCKPT_EIO = -2,       /* the operating system reported an I/O error */
  TFCKPT_ENOTFOUND = -3, /* a file, checkpoint or tensor does not exist */
  TFCKPT_ECORRUPT = -4,  /* a file is malformed (bad magic, bad proto, ...) */
  TFCKPT_ECHECKSUM = -5, /* a stored CRC32C does not match the bytes */
  TFCKPT_EINVAL = -6,    /* a bad argument from the caller */
  TFCKPT_EUNSUPPORTED = -7, /* valid input this version cannot handle */
  TFCKPT_ERANGE = -8,    /* a size or index out of range / overflow */
  TFCKPT_EEXIST = -9,    /* something already exists (name collision) */
  TFCKPT_EDATA = -10     /* bad input data (CSV row, value, ...) */
} tfckpt_status;

/* A short, static description of a status code ("checksum mismatch"). */
TFCKPT_API const char *tfckpt_errstr(int status);

/* The message of the calling thread's most recent failing call into the
 * library, whichever function or handle it was ("model.ckpt.index: block
 * checksum mismatch at offset 0"), or "not an error".  Thread-local: valid
 * until this thread's next failing call.  Functions that take no handle
 * (tfckpt_state_read, tfckpt_graph_load, ...) report through it; handle
 * functions also keep their message in the handle (tfckpt_reader_errmsg). */
TFCKPT_API const char *tfckpt_errmsg(void);
/* The status code of that call (TFCKPT_OK when there was none). */
TFCKPT_API int tfckpt_errcode(void);

/* TensorFlow's DataType enum values (types.proto). */
typedef enum tfckpt_dtype {
  TFCKPT_INVALID = 0,
  TFCKPT_FLOAT = 1,
  TFCKPT_DOUBLE = 2,
  TFCKPT_INT32 = 3,
  TFCKPT_UINT8 = 4,
  TFCKPT_INT16 = 5,
  TFCKPT_INT8 = 6,
  TFCKPT_STRING = 7,
  TFCKPT_COMPLEX64 = 8,
  TFCKPT_INT64 = 9,
  TFCKPT_BOOL = 10,
  TFCKPT_QINT8 = 11,
  TFCKPT_QUINT8 = 12,
  TFCKPT_QINT32 = 13,
  TFCKPT_BFLOAT16 = 14,
  TFCKPT_QINT16 = 15,
  TFCKPT_QUINT16 = 16,
  TFCKPT_UINT16 = 17,
  TFCKPT_COMPLEX128 = 18,
  TFCKPT_HALF = 19,
  TFCKPT_RESOURCE = 20,
  TFCKPT_VARIANT = 21,
  TFCKPT_UINT32 = 22,
  TFCKPT_UINT64 = 23,
  TFCKPT_FLOAT8_E5M2 = 24,
  TFCKPT_FLOAT8_E4M3FN = 25,
  TFCKPT_FLOAT8_E4M3FNUZ = 26,
  TFCKPT_FLOAT8_E4M3B11FNUZ = 27,
  TFCKPT_FLOAT8_E5M2FNUZ = 28,
  TFCKPT_INT4 = 29,
  TFCKPT_UINT4 = 30
} tfckpt_dtype;

/* Lower-case numpy-style name ("float32", "bfloat16", "string", "qint8");
 * "invalid" for values this library does not know. */
TFCKPT_API const char *tfckpt_dtype_name(tfckpt_dtype dtype);

/* The dtype whose name (numpy-style, or TF's "float"/"double"/"half") is
 * `name`; TFCKPT_INVALID if none. */
TFCKPT_API tfckpt_dtype tfckpt_dtype_from_name(const char *name);

/* Bytes per element of a fixed-size dtype; 0 for string, variant, resource
 * and unknown values. */
TFCKPT_API size_t tfckpt_dtype_size(tfckpt_dtype dtype);

/* 1 for dtypes the library can read from a checkpoint (fixed-size, string,
 * variant); 0 otherwise. */
TFCKPT_API int tfckpt_dtype_is_valid(tfckpt_dtype dtype);

/* The largest rank of any tensor the library reads, writes or converts:
 * TensorFlow's own limit (TensorShape's kMaxDims), so that every checkpoint
 * TF can write is readable.  Formats with a lower limit check their own
 * (numpy arrays in the Python module: NPY_MAXDIMS). */
#define TFCKPT_MAX_RANK 254

#ifdef __cplusplus
}
#endif
#endif
