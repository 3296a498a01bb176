/* The reader's internals, shared by the files of src/ckpt/ (V2 bundles in
 * bundle_backend.c, legacy V1 files in v1.c, path resolution in resolve.c). */
#ifndef TFCKPT_CKPT_READER_IMPL_H
#define TFCKPT_CKPT_READER_IMPL_H

#include <pthread.h>

#include "tfckpt/internal/error.h"
#include "tfckpt/internal/file.h"
#include "format/bundle.h"
#include "format/table.h"
#include "tfckpt/reader.h"
#include "tensor/tensor_impl.h"

/* One stored piece of a variable: the whole of it, or one slice. */
typedef struct ckpt_part {
  tfckpt__slice extent;  /* rank 0 when the part is the whole variable */
  int whole;
  int rank;             /* the part's own shape */
  int64_t *dims;
  int64_t num_elements;
  /* V2 location */
  int32_t shard;
  int64_t offset, size;
  uint32_t masked_crc;
  /* backend-specific (V1: the table key of the slice) */
  void *backend;
  size_t backend_len;
} ckpt_part;

typedef struct ckpt_var {
  char *name;
  tfckpt_dtype dtype;
  int rank;
  int64_t *dims;
  int64_t num_elements;
  int64_t nbytes;
  int nparts;
  ckpt_part *parts;
  int partitioned; /* listed with slices */
  int64_t covered; /* V2, partitioned: elements its slices cover; fewer than num_elements when
                      only part of it was saved (TF lists it, but cannot read it whole) */
  int32_t parent_shard; /* V2: shard_id stored in a partitioned variable's parent entry */
} ckpt_var;

typedef struct ckpt_backend ckpt_backend;

/* Where reader code records a failure: the reader's own error during open,
 * the calling thread's slot afterwards (readers are shared by threads). */
#define CKPT_ERR(r) tfckpt__err_slot(&(r)->err, (r)->opened)

struct tfckpt_reader {
  tfckpt__err err; /* written directly only until open returns: see CKPT_ERR */
  int opened;      /* open returned: other threads may now share the reader */
  char *prefix;
  int format;
  const ckpt_backend *backend;
  void *backend_state;
  ckpt_var *vars; /* sorted by name */
  size_t nvars;
  int num_shards;
  int big_endian;
  pthread_mutex_t lock;
};

enum {
  CKPT_CHECK = 1, /* check the stored CRC */
  CKPT_VIEW = 2   /* a view of a mapping is welcome (tfckpt_reader_get_view) */
};

struct ckpt_backend {
  /* Reads one part as a tensor of the part's shape (flags: CKPT_*). */
  int (*read_part)(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, int flags,
                   tfckpt_tensor **out);
  /* Optional: a fixed-size part's values, host order, CRC checked, into
   * dst (p->num_elements elements). */
  int (*read_into)(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p, void *dst);
  /* Optional: checks a part without keeping its values. */
  int (*verify_part)(tfckpt_reader *r, const ckpt_var *v, const ckpt_part *p);
  void (*close)(tfckpt_reader *r);
  int64_t (*data_bytes)(const tfckpt_reader *r);
};

/* V2 bundle: opens prefix.index and fills r->vars. */
int ckpt_open_bundle(tfckpt_reader *r, const char *prefix);
/* Legacy V1: `files` are the checkpoint's table files (one or more shards). */
int ckpt_open_v1(tfckpt_reader *r, const char *display, char **files, int nfiles);

/* Path resolution (resolve.c). */
typedef struct ckpt_location {
  int format;      /* TFCKPT_CKPT_V1 / V2 */
  char *prefix;    /* V2 prefix or V1 path/pattern as given */
  char **files;    /* V1: the shard files */
  int nfiles;
} ckpt_location;

int ckpt_resolve(const char *path, ckpt_location *out, tfckpt__err *err);
void ckpt_location_free(ckpt_location *loc);

/* Helpers shared by backends */
void ckpt_var_free(ckpt_var *v);
void ckpt_sort_vars(tfckpt_reader *r);
/* Swaps every element of a big-endian tensor in place. */
void ckpt_byteswap(void *data, size_t nbytes, tfckpt_dtype dtype);

#endif
