/* The DataType table: TF enum value -> numpy-style name and element size. */
#include <string.h>

#include "tfckpt/tfckpt.h"

typedef struct {
  const char *name;
  size_t size; /* 0: variable-length or not storable */
} dtype_info;

/* Indexed by the TF enum value (types.proto). */
static const dtype_info kDtypes[] = {
    [TFCKPT_INVALID] = {"invalid", 0},
    [TFCKPT_FLOAT] = {"float32", 4},
    [TFCKPT_DOUBLE] = {"float64", 8},
    [TFCKPT_INT32] = {"int32", 4},
    [TFCKPT_UINT8] = {"uint8", 1},
    [TFCKPT_INT16] = {"int16", 2},
    [TFCKPT_INT8] = {"int8", 1},
    [TFCKPT_STRING] = {"string", 0},
    [TFCKPT_COMPLEX64] = {"complex64", 8},
    [TFCKPT_INT64] = {"int64", 8},
    [TFCKPT_BOOL] = {"bool", 1},
    [TFCKPT_QINT8] = {"qint8", 1},
    [TFCKPT_QUINT8] = {"quint8", 1},
    [TFCKPT_QINT32] = {"qint32", 4},
    [TFCKPT_BFLOAT16] = {"bfloat16", 2},
    [TFCKPT_QINT16] = {"qint16", 2},
    [TFCKPT_QUINT16] = {"quint16", 2},
    [TFCKPT_UINT16] = {"uint16", 2},
    [TFCKPT_COMPLEX128] = {"complex128", 16},
    [TFCKPT_HALF] = {"float16", 2},
    [TFCKPT_RESOURCE] = {"resource", 0},
    [TFCKPT_VARIANT] = {"variant", 0},
    [TFCKPT_UINT32] = {"uint32", 4},
    [TFCKPT_UINT64] = {"uint64", 8},
    [TFCKPT_FLOAT8_E5M2] = {"float8_e5m2", 1},
    [TFCKPT_FLOAT8_E4M3FN] = {"float8_e4m3fn", 1},
    [TFCKPT_FLOAT8_E4M3FNUZ] = {"float8_e4m3fnuz", 1},
    [TFCKPT_FLOAT8_E4M3B11FNUZ] = {"float8_e4m3b11fnuz", 1},
    [TFCKPT_FLOAT8_E5M2FNUZ] = {"float8_e5m2fnuz", 1},
    [TFCKPT_INT4] = {"int4", 1},
    [TFCKPT_UINT4] = {"uint4", 1},
};
#define NDTYPES ((int)(sizeof kDtypes / sizeof kDtypes[0]))

const char *tfckpt_dtype_name(tfckpt_dtype dtype) {
  if (dtype < 0 || dtype >= NDTYPES) return "invalid";
  return kDtypes[dtype].name;
}

size_t tfckpt_dtype_size(tfckpt_dtype dtype) {
  if (dtype < 0 || dtype >= NDTYPES) return 0;
  return kDtypes[dtype].size;
}

int tfckpt_dtype_is_valid(tfckpt_dtype dtype) {
  if (dtype <= 0 || dtype >= NDTYPES || dtype == TFCKPT_RESOURCE) return 0;
  return 1;
}

tfckpt_dtype tfckpt_dtype_from_name(const char *name) {
  static const struct {
    const char *alias;
    tfckpt_dtype dtype;
  } aliases[] = {{"float", TFCKPT_FLOAT},   {"double", TFCKPT_DOUBLE}, {"half", TFCKPT_HALF},
                 {"f32", TFCKPT_FLOAT},     {"f64", TFCKPT_DOUBLE},    {"f16", TFCKPT_HALF},
                 {"bf16", TFCKPT_BFLOAT16}};
  for (int i = 1; i < NDTYPES; i++)
    if (!strcmp(name, kDtypes[i].name)) return i;
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (!strcmp(name, aliases[i].alias)) return aliases[i].dtype;
  return TFCKPT_INVALID;
}
