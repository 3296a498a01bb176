/*
 * The `tfckpt` Python module: TensorFlow's checkpoint-reading API
 * (tf.train.load_checkpoint, list_variables, load_variable,
 * latest_checkpoint) over the C library, returning numpy arrays.
 *
 * Arrays own their memory: get_tensor reads a tensor's bytes with pread
 * straight into a new numpy array (one copy, CRC checked on the way), so an
 * array stays valid whatever happens to the files afterwards.  Arrays of
 * tensors the library had to build (strings, bfloat16 widened, ...) have
 * as their base a TensorHandle owning the tfckpt_tensor; should the handle
 * ever hold a view of a mapped file, it also keeps the Reader object (and
 * its mappings) alive, even after Reader.close().
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tfckpt/state.h"
#include "tfckpt/reader.h"
#include "tfckpt/tensor.h"
#include "tfckpt/tfckpt.h"
#ifdef TFCKPT_HAVE_WRITER
#include "tfckpt/writer.h"
#endif

/* tfckpt.CorruptCheckpointError; set once by module init (the module uses
 * single-phase initialisation, so there is one per process). */
static PyObject *g_corrupt_error;

/* Method tables store every C function as a PyCFunction. */
#define METH(f) ((PyCFunction)(void (*)(void))(f))

/* ------------------------------------------------------------------ errors */

/* Raises the exception that matches a library status code. */
static PyObject *raise_status(int code, const char *msg) {
  PyObject *type;
  switch (code) {
    case TFCKPT_ENOMEM: return PyErr_NoMemory();
    case TFCKPT_ENOTFOUND: type = PyExc_FileNotFoundError; break;
    case TFCKPT_ECORRUPT:
    case TFCKPT_ECHECKSUM: type = g_corrupt_error; break;
    case TFCKPT_EUNSUPPORTED: type = PyExc_NotImplementedError; break;
    case TFCKPT_EIO: type = PyExc_OSError; break;
    case TFCKPT_EEXIST: type = PyExc_FileExistsError; break;
    default: type = PyExc_ValueError; break; /* EINVAL, ERANGE, EDATA */
  }
  PyErr_SetString(type, msg && *msg ? msg : tfckpt_errstr(code));
  return NULL;
}

/* ---------------------------------------------------------------- Reader */

typedef struct {
  PyObject_HEAD
  tfckpt_reader *r;
  int closed;       /* close() was called; r stays open while pinned */
  Py_ssize_t pins;  /* live views of the mapped files + reads in progress */
} ReaderObject;

static PyTypeObject Reader_Type;

static void reader_release(ReaderObject *self) {
  if (self->r) {
    tfckpt_reader_close(self->r);
    self->r = NULL;
  }
}

/* Pins keep the C reader open across close(); the GIL guards the count. */
static void reader_pin(ReaderObject *self) { self->pins++; }

static void reader_unpin(ReaderObject *self) {
  if (--self->pins == 0 && self->closed) reader_release(self);
}

/* close(): releases now, or when the last pin goes. */
static void reader_close_soon(ReaderObject *self) {
  self->closed = 1;
  if (self->pins == 0) reader_release(self);
}

static int reader_check(ReaderObject *self) {
  if (self->closed || !self->r) {
    PyErr_SetString(PyExc_ValueError, "I/O operation on a closed checkpoint reader");
    return -1;
  }
  return 0;
}

/* Opens `path` (a str or os.PathLike) into a new Reader, or raises. */
static ReaderObject *reader_open(PyObject *path_obj) {
  PyObject *bytes = NULL;
  if (!PyUnicode_FSConverter(path_obj, &bytes)) return NULL;
  const char *path = PyBytes_AS_STRING(bytes);
  ReaderObject *self = PyObject_New(ReaderObject, &Reader_Type);
  if (!self) {
    Py_DECREF(bytes);
    return NULL;
  }
  self->r = NULL;
  self->closed = 0;
  self->pins = 0;
  tfckpt_reader *r = NULL;
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = tfckpt_reader_open(path, &r);
  Py_END_ALLOW_THREADS
  Py_DECREF(bytes);
  self->r = r;
  if (rc != TFCKPT_OK) {
    raise_status(rc, tfckpt_reader_errmsg(r));
    Py_DECREF(self);
    return NULL;
  }
  return self;
}

static PyObject *Reader_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"path", NULL};
  PyObject *path;
  (void)type;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:CheckpointReader", kwlist, &path)) return NULL;
  return (PyObject *)reader_open(path);
}

static void Reader_dealloc(ReaderObject *self) {
  reader_release(self);
  PyObject_Free(self);
}

static PyObject *shape_list(int rank, const int64_t *dims) {
  PyObject *l = PyList_New(rank);
  if (!l) return NULL;
  for (int d = 0; d < rank; d++) {
    PyObject *v = PyLong_FromLongLong((long long)dims[d]);
    if (!v) {
      Py_DECREF(l);
      return NULL;
    }
    PyList_SET_ITEM(l, d, v);
  }
  return l;
}

/* {name: f(var)} for every variable. */
static PyObject *var_map(ReaderObject *self, tfckpt_dtype want_dtype) {
  if (reader_check(self)) return NULL;
  PyObject *d = PyDict_New();
  if (!d) return NULL;
  int64_t n = tfckpt_reader_num_variables(self->r);
  for (int64_t i = 0; i < n; i++) {
    tfckpt_var_info v;
    int rc = tfckpt_reader_var(self->r, i, &v);
    if (rc) {
      Py_DECREF(d);
      return raise_status(rc, tfckpt_reader_errmsg(self->r));
    }
    PyObject *val = want_dtype ? PyUnicode_FromString(tfckpt_dtype_name(v.dtype))
                               : shape_list(v.rank, v.dims);
    if (!val || PyDict_SetItemString(d, v.name, val) < 0) {
      Py_XDECREF(val);
      Py_DECREF(d);
      return NULL;
    }
    Py_DECREF(val);
  }
  return d;
}

static PyObject *Reader_shape_map(ReaderObject *self, PyObject *unused) {
  (void)unused;
  return var_map(self, 0);
}

static PyObject *Reader_dtype_map(ReaderObject *self, PyObject *unused) {
  (void)unused;
  return var_map(self, 1);
}

static PyObject *Reader_has_tensor(ReaderObject *self, PyObject *arg) {
  if (reader_check(self)) return NULL;
  const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
  if (!name) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "tensor name must be a str");
    return NULL;
  }
  return PyBool_FromLong(tfckpt_reader_has_tensor(self->r, name));
}

/* ------------------------------------------------------- tensor -> ndarray */

/* The base object of arrays that share a tensor's memory. */
typedef struct {
  PyObject_HEAD
  tfckpt_tensor *t;
  ReaderObject *reader; /* set for views of the mapped file */
} TensorHandleObject;

static void TensorHandle_dealloc(TensorHandleObject *self) {
  tfckpt_tensor_free(self->t);
  ReaderObject *rd = self->reader;
  if (rd) {
    reader_unpin(rd);
    Py_DECREF(rd);
  }
  PyObject_Free(self);
}

static PyTypeObject TensorHandle_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tfckpt._TensorHandle",
    .tp_basicsize = sizeof(TensorHandleObject),
    .tp_dealloc = (destructor)(void (*)(void))TensorHandle_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Keeps a checkpoint tensor (and its reader) alive for numpy arrays viewing it.",
};

/* The numpy type number that holds a dtype's values unchanged, or -1. */
static int npy_type_of(tfckpt_dtype dtype) {
  switch (dtype) {
    case TFCKPT_FLOAT: return NPY_FLOAT32;
    case TFCKPT_DOUBLE: return NPY_FLOAT64;
    case TFCKPT_HALF: return NPY_FLOAT16;
    case TFCKPT_INT8: case TFCKPT_QINT8: case TFCKPT_INT4: return NPY_INT8;
    case TFCKPT_UINT8: case TFCKPT_QUINT8: case TFCKPT_UINT4: return NPY_UINT8;
    case TFCKPT_FLOAT8_E5M2: case TFCKPT_FLOAT8_E4M3FN: case TFCKPT_FLOAT8_E4M3FNUZ:
    case TFCKPT_FLOAT8_E4M3B11FNUZ: case TFCKPT_FLOAT8_E5M2FNUZ: return NPY_UINT8;
    case TFCKPT_INT16: case TFCKPT_QINT16: return NPY_INT16;
    case TFCKPT_UINT16: case TFCKPT_QUINT16: case TFCKPT_BFLOAT16: return NPY_UINT16;
    case TFCKPT_INT32: case TFCKPT_QINT32: return NPY_INT32;
    case TFCKPT_UINT32: return NPY_UINT32;
    case TFCKPT_INT64: return NPY_INT64;
    case TFCKPT_UINT64: return NPY_UINT64;
    case TFCKPT_BOOL: return NPY_BOOL;
    case TFCKPT_COMPLEX64: return NPY_COMPLEX64;
    case TFCKPT_COMPLEX128: return NPY_COMPLEX128;
    default: return -1;
  }
}

static int dims_to_npy(const tfckpt_tensor *t, npy_intp *out) {
  int rank = tfckpt_tensor_rank(t);
  const int64_t *dims = tfckpt_tensor_dims(t);
  for (int d = 0; d < rank; d++) out[d] = (npy_intp)dims[d];
  return rank;
}

/* Object array of bytes for string/variant tensors. */
static PyObject *string_array(const tfckpt_tensor *t) {
  npy_intp dims[NPY_MAXDIMS];
  int rank = dims_to_npy(t, dims);
  PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(rank, dims, NPY_OBJECT);
  if (!a) return NULL;
  PyObject **items = (PyObject **)PyArray_DATA(a);
  int64_t n = tfckpt_tensor_num_elements(t);
  for (int64_t i = 0; i < n; i++) {
    const uint8_t *p;
    size_t len;
    int rc = tfckpt_tensor_get_string(t, i, &p, &len);
    PyObject *b = rc ? NULL : PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)len);
    if (!b) {
      if (!PyErr_Occurred()) raise_status(rc, "cannot read string element");
      Py_DECREF(a);
      return NULL;
    }
    Py_XSETREF(items[i], b); /* new object arrays hold NULL or None */
  }
  return (PyObject *)a;
}

/* bfloat16 patterns widened to a new float32 array. */
static PyObject *bf16_to_f32(const tfckpt_tensor *t) {
  npy_intp dims[NPY_MAXDIMS];
  int rank = dims_to_npy(t, dims);
  PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(rank, dims, NPY_FLOAT32);
  if (!a) return NULL;
  const uint8_t *src = tfckpt_tensor_data(t);
  float *dst = (float *)PyArray_DATA(a);
  int64_t n = tfckpt_tensor_num_elements(t);
  Py_BEGIN_ALLOW_THREADS
  for (int64_t i = 0; i < n; i++) {
    uint16_t b;
    memcpy(&b, src + 2 * i, 2); /* views may be unaligned */
    dst[i] = tfckpt_bf16_to_float(b);
  }
  Py_END_ALLOW_THREADS
  return (PyObject *)a;
}

/* An array sharing the tensor's memory; takes ownership of `t`. */
static PyObject *wrap_tensor(ReaderObject *reader, tfckpt_tensor *t, int npy_type) {
  npy_intp dims[NPY_MAXDIMS];
  int rank = dims_to_npy(t, dims);
  void *data = (void *)tfckpt_tensor_data(t);
  int view = tfckpt_tensor_is_view(t);
  if (!data || tfckpt_tensor_num_elements(t) == 0) {
    /* Nothing to share (empty tensor). */
    tfckpt_tensor_free(t);
    return PyArray_ZEROS(rank, dims, npy_type, 0);
  }
  TensorHandleObject *h = PyObject_New(TensorHandleObject, &TensorHandle_Type);
  if (!h) {
    tfckpt_tensor_free(t);
    return NULL;
  }
  h->t = t;
  h->reader = NULL;
  if (view) {
    Py_INCREF(reader);
    h->reader = reader;
    reader_pin(reader);
  }
  PyArray_Descr *descr = PyArray_DescrFromType(npy_type);
  if (!descr) {
    Py_DECREF(h);
    return NULL;
  }
  /* Views of the map are read-only; a tensor the reader assembled or
   * converted is private memory and may be written. */
  int flags = NPY_ARRAY_C_CONTIGUOUS | (view ? 0 : NPY_ARRAY_WRITEABLE);
  PyObject *arr = PyArray_NewFromDescr(&PyArray_Type, descr, rank, dims, NULL, data, flags, NULL);
  if (!arr) {
    Py_DECREF(h);
    return NULL;
  }
  if (PyArray_SetBaseObject((PyArrayObject *)arr, (PyObject *)h) < 0) {
    Py_DECREF(arr); /* SetBaseObject stole h */
    return NULL;
  }
  /* The mapped data may sit at any offset: let numpy recompute ALIGNED. */
  PyArray_UpdateFlags((PyArrayObject *)arr, NPY_ARRAY_ALIGNED);
  return arr;
}

/* Checkpoints allow TensorFlow's 254 dimensions, numpy fewer (32 or 64):
 * 0 with a ValueError when `rank` is more than numpy takes. */
static int numpy_rank_ok(const char *name, int rank) {
  if (rank <= NPY_MAXDIMS) return 1;
  PyErr_Format(PyExc_ValueError, "%s: rank %d is more than numpy supports (NPY_MAXDIMS = %d dimensions)",
               name, rank, NPY_MAXDIMS);
  return 0;
}

/* The array for tensor `t` (taken over) of reader `self`. */
static PyObject *to_ndarray(ReaderObject *self, const char *name, tfckpt_tensor *t, int bf16_raw) {
  tfckpt_dtype dtype = tfckpt_tensor_dtype(t);
  PyObject *out;
  if (!numpy_rank_ok(name, tfckpt_tensor_rank(t))) {
    tfckpt_tensor_free(t);
    return NULL;
  }
  if (dtype == TFCKPT_STRING || dtype == TFCKPT_VARIANT) {
    out = string_array(t);
    tfckpt_tensor_free(t);
  } else if (dtype == TFCKPT_BFLOAT16 && !bf16_raw) {
    out = bf16_to_f32(t);
    tfckpt_tensor_free(t);
  } else {
    int npy = npy_type_of(dtype);
    if (npy < 0) {
      tfckpt_tensor_free(t);
      PyErr_Format(PyExc_NotImplementedError, "%s: dtype %s has no numpy equivalent", name,
                   tfckpt_dtype_name(dtype));
      return NULL;
    }
    out = wrap_tensor(self, t, npy);
  }
  return out;
}

/* A fixed-size tensor read into a new array of its own (no intermediate
 * buffer); NULL with an exception on failure.  The caller holds a pin. */
static PyObject *read_into_array(ReaderObject *self, const char *name, const tfckpt_var_info *v,
                                 int npy) {
  if (!numpy_rank_ok(name, v->rank)) return NULL;
  npy_intp dims[NPY_MAXDIMS];
  for (int d = 0; d < v->rank; d++) dims[d] = (npy_intp)v->dims[d];
  PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(v->rank, dims, npy);
  if (!a) return NULL;
  void *buf = PyArray_DATA(a);
  size_t cap = (size_t)PyArray_NBYTES(a);
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = tfckpt_reader_read_into(self->r, name, buf, cap);
  Py_END_ALLOW_THREADS
  if (rc != TFCKPT_OK) {
    Py_DECREF(a);
    return raise_status(rc, tfckpt_reader_errmsg(self->r));
  }
  return (PyObject *)a;
}

/* Reads `name` and converts it; bf16_raw keeps bfloat16 as uint16 bits.
 * Returns an ndarray (0-d for scalars). */
static PyObject *read_tensor(ReaderObject *self, const char *name, int bf16_raw) {
  if (reader_check(self)) return NULL;
  if (!tfckpt_reader_has_tensor(self->r, name)) {
    /* The library's message suggests close names. */
    tfckpt_tensor *none = NULL;
    int rc = tfckpt_reader_get_tensor(self->r, name, &none);
    tfckpt_tensor_free(none);
    PyErr_SetString(PyExc_KeyError, rc ? tfckpt_reader_errmsg(self->r) : name);
    return NULL;
  }
  tfckpt_tensor *t = NULL;
  int rc;
  reader_pin(self); /* another thread may call close() meanwhile */
  tfckpt_var_info v;
  tfckpt_reader_var(self->r, tfckpt_reader_find(self->r, name), &v);
  int npy = npy_type_of(v.dtype);
  if (tfckpt_dtype_size(v.dtype) && npy >= 0 && v.rank <= TFCKPT_MAX_RANK &&
      !(v.dtype == TFCKPT_BFLOAT16 && !bf16_raw)) {
    PyObject *arr = read_into_array(self, name, &v, npy);
    reader_unpin(self);
    return arr;
  }
  Py_BEGIN_ALLOW_THREADS
  rc = tfckpt_reader_get_tensor(self->r, name, &t);
  Py_END_ALLOW_THREADS
  PyObject *out = NULL;
  if (rc != TFCKPT_OK) {
    tfckpt_tensor_free(t);
    raise_status(rc, tfckpt_reader_errmsg(self->r));
  } else {
    out = to_ndarray(self, name, t, bf16_raw);
  }
  reader_unpin(self); /* views pinned the reader themselves */
  return out;
}

static int parse_bf16_option(const char *s, int *raw) {
  if (!s || !strcmp(s, "float32")) {
    *raw = 0;
    return 0;
  }
  if (!strcmp(s, "uint16") || !strcmp(s, "raw")) {
    *raw = 1;
    return 0;
  }
  PyErr_Format(PyExc_ValueError, "bfloat16='%s': expected 'float32' or 'uint16'", s);
  return -1;
}

static PyObject *Reader_get_tensor(ReaderObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"tensor_str", "bfloat16", NULL};
  const char *name, *bf16 = NULL;
  int raw;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "s|$z:get_tensor", kwlist, &name, &bf16))
    return NULL;
  if (parse_bf16_option(bf16, &raw)) return NULL;
  PyObject *arr = read_tensor(self, name, raw);
  /* Like TensorFlow: scalars come back as numpy scalars (bytes for strings). */
  return arr ? PyArray_Return((PyArrayObject *)arr) : NULL;
}

static PyObject *Reader_close(ReaderObject *self, PyObject *unused) {
  (void)unused;
  reader_close_soon(self);
  Py_RETURN_NONE;
}

static PyObject *Reader_enter(ReaderObject *self, PyObject *unused) {
  (void)unused;
  if (reader_check(self)) return NULL;
  Py_INCREF(self);
  return (PyObject *)self;
}

static PyObject *Reader_exit(ReaderObject *self, PyObject *args) {
  (void)args;
  return Reader_close(self, NULL);
}

static PyObject *Reader_get_prefix(ReaderObject *self, void *unused) {
  (void)unused;
  if (reader_check(self)) return NULL;
  return PyUnicode_DecodeFSDefault(tfckpt_reader_prefix(self->r));
}

static PyObject *Reader_get_format(ReaderObject *self, void *unused) {
  (void)unused;
  if (reader_check(self)) return NULL;
  return PyLong_FromLong(tfckpt_reader_format(self->r));
}

static PyObject *Reader_get_num_shards(ReaderObject *self, void *unused) {
  (void)unused;
  if (reader_check(self)) return NULL;
  return PyLong_FromLong(tfckpt_reader_num_shards(self->r));
}

static PyObject *Reader_get_closed(ReaderObject *self, void *unused) {
  (void)unused;
  return PyBool_FromLong(self->closed);
}

static int Reader_contains(ReaderObject *self, PyObject *key) {
  PyObject *r = Reader_has_tensor(self, key);
  if (!r) return -1;
  int v = r == Py_True;
  Py_DECREF(r);
  return v;
}

static PyObject *Reader_repr(ReaderObject *self) {
  if (self->closed || !self->r) return PyUnicode_FromString("<tfckpt.CheckpointReader (closed)>");
  return PyUnicode_FromFormat("<tfckpt.CheckpointReader %s: %lld variables>",
                              tfckpt_reader_prefix(self->r),
                              (long long)tfckpt_reader_num_variables(self->r));
}

static PyMethodDef Reader_methods[] = {
    {"get_variable_to_shape_map", METH(Reader_shape_map), METH_NOARGS,
     "get_variable_to_shape_map() -> dict mapping each variable name to its shape (list of int)."},
    {"get_variable_to_dtype_map", METH(Reader_dtype_map), METH_NOARGS,
     "get_variable_to_dtype_map() -> dict mapping each variable name to its dtype name\n"
     "('float32', 'int64', 'bfloat16', 'string', ...)."},
    {"has_tensor", METH(Reader_has_tensor), METH_O,
     "has_tensor(name) -> True if the checkpoint holds a variable called name."},
    {"get_tensor", METH(Reader_get_tensor), METH_VARARGS | METH_KEYWORDS,
     "get_tensor(name, *, bfloat16='float32') -> numpy.ndarray (numpy scalar for scalars).\n\n"
     "Checks the stored CRC32C.  The array owns its memory (the bytes are read into it\n"
     "with one copy, never mapped): writable, and valid whatever later happens to the\n"
     "checkpoint's files.  bfloat16 values\n"
     "are widened to float32 unless bfloat16='uint16' asks for the raw bit patterns.\n"
     "String and variant tensors come back as object arrays of bytes.\n"
     "Raises KeyError for an unknown name, CorruptCheckpointError on a checksum mismatch."},
    {"close", METH(Reader_close), METH_NOARGS,
     "close(): release the checkpoint (mappings stay while arrays view them)."},
    {"__enter__", METH(Reader_enter), METH_NOARGS, NULL},
    {"__exit__", METH(Reader_exit), METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Reader_getset[] = {
    {"prefix", (getter)(void (*)(void))Reader_get_prefix, NULL,
     "The resolved checkpoint: V2 prefix or V1 file path.", NULL},
    {"format", (getter)(void (*)(void))Reader_get_format, NULL, "1 for legacy V1 files, 2 for V2 bundles.", NULL},
    {"num_shards", (getter)(void (*)(void))Reader_get_num_shards, NULL, "Number of data files.", NULL},
    {"closed", (getter)(void (*)(void))Reader_get_closed, NULL, "True after close().", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods Reader_as_sequence = {
    .sq_contains = (objobjproc)(void (*)(void))Reader_contains,
};

static PyTypeObject Reader_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tfckpt.CheckpointReader",
    .tp_basicsize = sizeof(ReaderObject),
    .tp_dealloc = (destructor)(void (*)(void))Reader_dealloc,
    .tp_repr = (reprfunc)(void (*)(void))Reader_repr,
    .tp_as_sequence = &Reader_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "CheckpointReader(path): reads a TensorFlow checkpoint (see load_checkpoint).",
    .tp_methods = Reader_methods,
    .tp_getset = Reader_getset,
    .tp_new = Reader_new,
};

/* ------------------------------------------------------- module functions */

static PyObject *mod_load_checkpoint(PyObject *m, PyObject *arg) {
  (void)m;
  return (PyObject *)reader_open(arg);
}

static PyObject *mod_list_variables(PyObject *m, PyObject *arg) {
  (void)m;
  ReaderObject *rd = reader_open(arg);
  if (!rd) return NULL;
  int64_t n = tfckpt_reader_num_variables(rd->r);
  PyObject *l = PyList_New((Py_ssize_t)n);
  for (int64_t i = 0; l && i < n; i++) {
    tfckpt_var_info v;
    int rc = tfckpt_reader_var(rd->r, i, &v);
    PyObject *shape = rc ? NULL : shape_list(v.rank, v.dims);
    PyObject *item = shape ? Py_BuildValue("(sN)", v.name, shape) : NULL;
    if (!item) {
      if (!PyErr_Occurred()) raise_status(rc, tfckpt_reader_errmsg(rd->r));
      Py_CLEAR(l);
      break;
    }
    PyList_SET_ITEM(l, (Py_ssize_t)i, item);
  }
  Py_DECREF(rd);
  return l;
}

static PyObject *mod_load_variable(PyObject *m, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"ckpt_dir_or_file", "name", "bfloat16", NULL};
  PyObject *path;
  const char *name, *bf16 = NULL;
  int raw;
  (void)m;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "Os|$z:load_variable", kwlist, &path, &name, &bf16))
    return NULL;
  if (parse_bf16_option(bf16, &raw)) return NULL;
  ReaderObject *rd = reader_open(path);
  if (!rd) return NULL;
  /* TensorFlow accepts a tensor name such as "dense/kernel:0". */
  size_t len = strlen(name);
  PyObject *arr;
  if (len >= 2 && !strcmp(name + len - 2, ":0") && !tfckpt_reader_has_tensor(rd->r, name)) {
    char *base = strndup(name, len - 2);
    arr = base ? read_tensor(rd, base, raw) : PyErr_NoMemory();
    free(base);
  } else {
    arr = read_tensor(rd, name, raw);
  }
  reader_close_soon(rd); /* released as soon as no array views it */
  Py_DECREF(rd);
  return arr ? PyArray_Return((PyArrayObject *)arr) : NULL;
}

static int matches(const char *pattern) {
  glob_t g;
  int rc = glob(pattern, 0, NULL, &g);
  int found = rc == 0 && g.gl_pathc > 0;
  if (rc == 0) globfree(&g);
  return found;
}

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* TensorFlow's latest_checkpoint: the state file's model_checkpoint_path
 * (joined onto the directory when relative) if `<p>.index` or `<p>` (a V1
 * file or pattern) exists; otherwise None.  No fallback to other entries. */
static PyObject *mod_latest_checkpoint(PyObject *m, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"checkpoint_dir", "latest_filename", NULL};
  PyObject *dir_obj, *dir_bytes = NULL;
  const char *latest = NULL;
  (void)m;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|z:latest_checkpoint", kwlist, &dir_obj, &latest))
    return NULL;
  if (!PyUnicode_FSConverter(dir_obj, &dir_bytes)) return NULL;
  const char *dir = PyBytes_AS_STRING(dir_bytes);
  size_t dlen = strlen(dir);
  const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
  char *state_path = NULL, *full = NULL, *index = NULL;
  PyObject *result = NULL;
  tfckpt_state st;
  memset(&st, 0, sizeof st);
  if (asprintf(&state_path, "%s%s%s", dir, dlen ? sep : "", latest ? latest : "checkpoint") < 0) {
    state_path = NULL;
    result = PyErr_NoMemory();
    goto done;
  }
  if (!file_exists(state_path) || tfckpt_state_read(state_path, &st) != TFCKPT_OK) {
    /* TF logs and returns None for a missing or unparsable state file. */
    Py_INCREF(Py_None);
    result = Py_None;
    goto done;
  }
  const char *mcp = st.model_checkpoint_path;
  if (!mcp || !*mcp) {
    PyErr_Format(PyExc_ValueError, "Invalid checkpoint state loaded from %s", dir);
    goto done;
  }
  int rc = mcp[0] == '/' ? asprintf(&full, "%s", mcp)
                         : asprintf(&full, "%s%s%s", dir, dlen ? sep : "", mcp);
  if (rc < 0 || asprintf(&index, "%s.index", full) < 0) {
    if (rc < 0) full = NULL;
    index = NULL;
    result = PyErr_NoMemory();
    goto done;
  }
  /* TF matches both names as glob patterns (a V1 path may be one). */
  int found = matches(index) || matches(full);
  if (found) {
    result = PyUnicode_DecodeFSDefault(full);
  } else {
    Py_INCREF(Py_None);
    result = Py_None;
  }
done:
  tfckpt_state_free(&st);
  free(state_path);
  free(full);
  free(index);
  Py_DECREF(dir_bytes);
  return result;
}

/* ------------------------------------------------------------------ save */
#ifdef TFCKPT_HAVE_WRITER

/* The TF dtype for a numpy dtype, or TFCKPT_INVALID. */
static int tf_dtype_of(PyArray_Descr *d) {
  switch (d->type_num) {
    case NPY_FLOAT32: return TFCKPT_FLOAT;
    case NPY_FLOAT64: return TFCKPT_DOUBLE;
    case NPY_FLOAT16: return TFCKPT_HALF;
    case NPY_INT8: return TFCKPT_INT8;
    case NPY_UINT8: return TFCKPT_UINT8;
    case NPY_INT16: return TFCKPT_INT16;
    case NPY_UINT16: return TFCKPT_UINT16;
    case NPY_INT32: return TFCKPT_INT32;
    case NPY_UINT32: return TFCKPT_UINT32;
    case NPY_BOOL: return TFCKPT_BOOL;
    case NPY_COMPLEX64: return TFCKPT_COMPLEX64;
    case NPY_COMPLEX128: return TFCKPT_COMPLEX128;
    case NPY_OBJECT: case NPY_STRING: case NPY_UNICODE: return TFCKPT_STRING;
    default: break;
  }
  /* long / longlong: pick by size so int64 maps on every platform. */
  if (d->kind == 'i' && d->elsize == 8) return TFCKPT_INT64;
  if (d->kind == 'u' && d->elsize == 8) return TFCKPT_UINT64;
  if (d->kind == 'i' && d->elsize == 4) return TFCKPT_INT32;
  if (d->kind == 'u' && d->elsize == 4) return TFCKPT_UINT32;
  return TFCKPT_INVALID;
}

/* Fills string tensor `t` from the elements of `arr` (bytes, or str encoded
 * as UTF-8). */
static int fill_strings(tfckpt_tensor *t, PyArrayObject *arr, const char *name) {
  PyObject *flat = PyArray_Ravel(arr, NPY_CORDER);
  if (!flat) return -1;
  Py_ssize_t n = PyArray_SIZE((PyArrayObject *)flat);
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *item = PySequence_GetItem(flat, i);
    if (!item) {
      Py_DECREF(flat);
      return -1;
    }
    const char *p = NULL;
    Py_ssize_t len = 0;
    if (PyBytes_Check(item)) {
      p = PyBytes_AS_STRING(item);
      len = PyBytes_GET_SIZE(item);
    } else if (PyUnicode_Check(item)) {
      p = PyUnicode_AsUTF8AndSize(item, &len);
    } else {
      PyErr_Format(PyExc_ValueError, "%s: element %zd of a string tensor is %.100s, not bytes or str",
                   name, i, Py_TYPE(item)->tp_name);
    }
    int rc = p ? tfckpt_tensor_set_string(t, i, p, (size_t)len) : -1;
    Py_DECREF(item);
    if (rc) {
      Py_DECREF(flat);
      if (!PyErr_Occurred()) raise_status(rc, "cannot store a string element");
      return -1;
    }
  }
  Py_DECREF(flat);
  return 0;
}

/* Adds one array to the writer; 0 ok, -1 with an exception set. */
static int save_one(tfckpt_writer *w, const char *name, PyObject *value) {
  PyArrayObject *arr = (PyArrayObject *)PyArray_FROM_O(value);
  if (!arr) return -1;
  tfckpt_dtype dtype = tf_dtype_of(PyArray_DESCR(arr));
  if (dtype == TFCKPT_INVALID) {
    PyErr_Format(PyExc_ValueError, "%s: cannot save numpy dtype %R", name,
                 (PyObject *)PyArray_DESCR(arr));
    Py_DECREF(arr);
    return -1;
  }
  if (dtype != TFCKPT_STRING) {
    /* Host byte order, C order, aligned: the tensor's layout. */
    PyArray_Descr *want = PyArray_DescrNewByteorder(PyArray_DESCR(arr), NPY_NATIVE);
    PyArrayObject *c = want ? (PyArrayObject *)PyArray_FromArray(
                                  arr, want, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED)
                            : NULL;
    Py_DECREF(arr);
    if (!c) return -1;
    arr = c;
  }
  /* every numpy array fits: numpy's limit is below TensorFlow's */
  _Static_assert(NPY_MAXDIMS <= TFCKPT_MAX_RANK, "numpy arrays may have more dimensions than tensors");
  int rank = PyArray_NDIM(arr);
  int64_t dims[NPY_MAXDIMS];
  for (int d = 0; d < rank; d++) dims[d] = (int64_t)PyArray_DIM(arr, d);
  tfckpt_tensor *t = NULL;
  int rc = tfckpt_tensor_new(dtype, rank, dims, &t);
  if (rc) {
    Py_DECREF(arr);
    PyErr_Format(PyExc_ValueError, "%s: %s", name, tfckpt_errstr(rc));
    return -1;
  }
  if (dtype == TFCKPT_STRING) {
    if (fill_strings(t, arr, name)) {
      tfckpt_tensor_free(t);
      Py_DECREF(arr);
      return -1;
    }
  } else if (tfckpt_tensor_nbytes(t)) {
    memcpy(tfckpt_tensor_mutable_data(t), PyArray_DATA(arr), tfckpt_tensor_nbytes(t));
  }
  Py_DECREF(arr);
  Py_BEGIN_ALLOW_THREADS
  rc = tfckpt_writer_add(w, name, t);
  Py_END_ALLOW_THREADS
  tfckpt_tensor_free(t);
  if (rc) {
    raise_status(rc, tfckpt_writer_errmsg(w));
    return -1;
  }
  return 0;
}

/* os.makedirs(os.path.dirname(prefix), exist_ok=True) */
static int make_parent_dirs(PyObject *prefix_bytes) {
  PyObject *os = PyImport_ImportModule("os");
  if (!os) return -1;
  PyObject *path = PyObject_GetAttrString(os, "path");
  PyObject *dir = path ? PyObject_CallMethod(path, "dirname", "O", prefix_bytes) : NULL;
  int rc = -1;
  if (dir) {
    if (PyBytes_GET_SIZE(dir) == 0) {
      rc = 0;
    } else {
      PyObject *kw = Py_BuildValue("{s:O}", "exist_ok", Py_True);
      PyObject *fn = PyObject_GetAttrString(os, "makedirs");
      PyObject *a = Py_BuildValue("(O)", dir);
      PyObject *res = kw && fn && a ? PyObject_Call(fn, a, kw) : NULL;
      rc = res ? 0 : -1;
      Py_XDECREF(res);
      Py_XDECREF(a);
      Py_XDECREF(fn);
      Py_XDECREF(kw);
    }
  }
  Py_XDECREF(dir);
  Py_XDECREF(path);
  Py_DECREF(os);
  return rc;
}

static PyObject *mod_save(PyObject *m, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"tensors", "prefix", "num_shards", "update_state", "max_to_keep", NULL};
  PyObject *tensors, *prefix_obj, *prefix_bytes = NULL;
  int num_shards = 1, update_state = 0, max_to_keep = 0;
  (void)m;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|$ipi:save", kwlist, &tensors, &prefix_obj,
                                   &num_shards, &update_state, &max_to_keep))
    return NULL;
  if (!PyDict_Check(tensors) && !PyObject_HasAttrString(tensors, "items")) {
    PyErr_SetString(PyExc_TypeError, "save: tensors must be a mapping of name -> array");
    return NULL;
  }
  if (num_shards < 1 || max_to_keep < 0) {
    PyErr_SetString(PyExc_ValueError, "save: num_shards must be >= 1 and max_to_keep >= 0");
    return NULL;
  }
  if (!PyUnicode_FSConverter(prefix_obj, &prefix_bytes)) return NULL;
  /* Iterate items() lazily: a generator of (name, array) keeps only one
   * array alive at a time. */
  PyObject *items_view = PyDict_Check(tensors) ? PyDict_Items(tensors)
                                               : PyObject_CallMethod(tensors, "items", NULL);
  PyObject *items = items_view ? PyObject_GetIter(items_view) : NULL;
  Py_XDECREF(items_view);
  if (!items) {
    Py_DECREF(prefix_bytes);
    return NULL;
  }
  /* Like TensorFlow's BundleWriter, create the directory first. */
  if (make_parent_dirs(prefix_bytes) < 0) {
    Py_DECREF(items);
    Py_DECREF(prefix_bytes);
    return NULL;
  }
  tfckpt_writer_options o;
  tfckpt_writer_options_init(&o);
  o.num_shards = num_shards;
  o.update_state = update_state;
  o.max_to_keep = max_to_keep;
  tfckpt_writer *w = NULL;
  int rc;
  const char *prefix = PyBytes_AS_STRING(prefix_bytes);
  Py_BEGIN_ALLOW_THREADS
  rc = tfckpt_writer_open(prefix, &o, &w);
  Py_END_ALLOW_THREADS
  PyObject *result = NULL;
  if (rc) {
    raise_status(rc, w ? tfckpt_writer_errmsg(w) : "out of memory");
    goto done;
  }
  PyObject *kv;
  while ((kv = PyIter_Next(items))) {
    if (!PyTuple_Check(kv) || PyTuple_GET_SIZE(kv) != 2) {
      Py_DECREF(kv);
      PyErr_SetString(PyExc_TypeError, "save: items() must yield (name, array) pairs");
      goto done;
    }
    PyObject *key = PyTuple_GET_ITEM(kv, 0);
    const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
    int bad = !name || save_one(w, name, PyTuple_GET_ITEM(kv, 1));
    Py_DECREF(kv);
    if (bad) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "save: tensor names must be str");
      goto done;
    }
  }
  if (PyErr_Occurred()) goto done; /* the iterator failed */
  Py_BEGIN_ALLOW_THREADS
  rc = tfckpt_writer_finish(w);
  Py_END_ALLOW_THREADS
  if (rc) {
    raise_status(rc, tfckpt_writer_errmsg(w));
    goto done;
  }
  for (size_t i = 0; tfckpt_writer_warning(w, i); i++)
    if (PyErr_WarnEx(PyExc_UserWarning, tfckpt_writer_warning(w, i), 1) < 0) goto done;
  result = PyUnicode_DecodeFSDefault(prefix);
done:
  /* Closing an unfinished writer removes its temporary files. */
  if (w) {
    Py_BEGIN_ALLOW_THREADS
    tfckpt_writer_close(w);
    Py_END_ALLOW_THREADS
  }
  Py_DECREF(items);
  Py_DECREF(prefix_bytes);
  return result;
}

#else
/* Built before the library had a writer (src/ckpt/writer.c). */
static PyObject *mod_save(PyObject *m, PyObject *args, PyObject *kwds) {
  (void)m;
  (void)args;
  (void)kwds;
  PyErr_SetString(PyExc_NotImplementedError,
                  "save: this tfckpt build has no checkpoint writer; rebuild the library");
  return NULL;
}
#endif

/* ---------------------------------------------------------------- module */

static PyMethodDef module_methods[] = {
    {"load_checkpoint", mod_load_checkpoint, METH_O,
     "load_checkpoint(ckpt_dir_or_file) -> CheckpointReader.\n\n"
     "Accepts a V2 prefix, its .index or .data-NNNNN-of-NNNNN file, a directory with a\n"
     "`checkpoint` state file, a SavedModel directory, a directory holding one\n"
     "checkpoint, or a legacy V1 file.  Raises FileNotFoundError if nothing is there."},
    {"list_variables", mod_list_variables, METH_O,
     "list_variables(ckpt_dir_or_file) -> list of (name, shape) sorted by name."},
    {"load_variable", METH(mod_load_variable), METH_VARARGS | METH_KEYWORDS,
     "load_variable(ckpt_dir_or_file, name, *, bfloat16='float32') -> the variable's value\n"
     "(a trailing ':0' in name is ignored, as in TensorFlow)."},
    {"latest_checkpoint", METH(mod_latest_checkpoint),
     METH_VARARGS | METH_KEYWORDS,
     "latest_checkpoint(checkpoint_dir, latest_filename=None) -> prefix str or None.\n\n"
     "TensorFlow's rules: the `checkpoint` file's model_checkpoint_path, joined onto the\n"
     "directory when relative, if that checkpoint exists; None otherwise."},
    {"save", METH(mod_save), METH_VARARGS | METH_KEYWORDS,
     "save(tensors, prefix, *, num_shards=1, update_state=False, max_to_keep=0) -> prefix.\n\n"
     "Writes the mapping name -> array-like as a V2 checkpoint at prefix (creating its\n"
     "directory), atomically\n"
     "(nothing appears under the final names unless everything was written).  Arrays of\n"
     "bytes/str (object, 'S' or 'U' dtypes) are saved as string tensors.\n"
     "update_state=True also rewrites the directory's `checkpoint` file."},
    {NULL, NULL, 0, NULL},
};

static int module_exec(PyObject *m) {
  if (PyType_Ready(&Reader_Type) < 0 || PyType_Ready(&TensorHandle_Type) < 0) return -1;
  g_corrupt_error = PyErr_NewExceptionWithDoc(
      "tfckpt.CorruptCheckpointError",
      "A checkpoint file is malformed or a stored CRC32C does not match its bytes\n"
      "(TensorFlow raises DataLossError here).",
      NULL, NULL);
  if (!g_corrupt_error) return -1;
  Py_INCREF(g_corrupt_error); /* one reference for the module, one kept here */
  if (PyModule_AddObject(m, "CorruptCheckpointError", g_corrupt_error) < 0) {
    Py_DECREF(g_corrupt_error);
    return -1;
  }
  Py_INCREF(&Reader_Type);
  if (PyModule_AddObject(m, "CheckpointReader", (PyObject *)&Reader_Type) < 0) {
    Py_DECREF(&Reader_Type);
    return -1;
  }
  if (PyModule_AddStringConstant(m, "__version__", TFCKPT_VERSION_STRING) < 0) return -1;
  return 0;
}

static struct PyModuleDef tfckpt_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "tfckpt",
    .m_doc = "TensorFlow checkpoints without TensorFlow: tf.train.load_checkpoint and friends\n"
             "over the tfckpt C library, returning numpy arrays.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit_tfckpt(void) {
  import_array();
  PyObject *m = PyModule_Create(&tfckpt_module);
  if (!m) return NULL;
  if (module_exec(m) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
