/* Saving/restoring a model's variables as checkpoints, and its architecture
 * as model.json. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfckpt/internal/atomic_file.h"
#include "tfckpt/internal/file.h"
#include "tfckpt/internal/json.h"
#include "format/proto.h"
#include "nn/nn.h"
#include "tfckpt/numfmt.h"
#include "tfckpt/reader.h"
#include "tfckpt/writer.h"

static void sync_scalars(tfckpt_model *m) {
  if (m->v_global_step >= 0) *(int64_t *)m->vars[m->v_global_step].data = m->global_step;
  if (m->v_norm_count >= 0) *(int64_t *)m->vars[m->v_norm_count].data = m->norm_count;
}

int tfckpt_model_save(tfckpt_model *m, const char *prefix, const tfckpt_writer_options *wo) {
  if (!m->built) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "model: not built");
  sync_scalars(m);
  tfckpt_writer *w;
  int rc = tfckpt_writer_open(prefix, wo, &w);
  for (size_t i = 0; !rc && i < m->nvars; i++) {
    nn_var *v = &m->vars[i];
    tfckpt_tensor *t;
    rc = tfckpt_tensor_new(v->dtype, v->rank, v->dims, &t);
    if (rc) {
      tfckpt__seterr(&m->err, rc, "%s: out of memory", v->name);
      break;
    }
    memcpy(tfckpt_tensor_mutable_data(t), v->data, v->n * (v->dtype == TFCKPT_INT64 ? 8 : 4));
    rc = tfckpt_writer_add(w, v->name, t);
    tfckpt_tensor_free(t);
    if (rc) tfckpt__seterr(&m->err, rc, "%s", tfckpt_writer_errmsg(w));
  }
  if (!rc) {
    rc = tfckpt_writer_finish(w);
    if (rc) tfckpt__seterr(&m->err, rc, "%s", tfckpt_writer_errmsg(w));
  } else if (w && !m->err.code) {
    tfckpt__seterr(&m->err, rc, "%s", tfckpt_writer_errmsg(w));
  }
  tfckpt_writer_close(w);
  return rc;
}

static void shape_str(char *buf, size_t cap, int rank, const int64_t *dims) {
  size_t n = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < rank && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)dims[i]);
  if (n < cap) snprintf(buf + n, cap - n, "]");
}

int tfckpt_model_restore(tfckpt_model *m, const char *path) {
  if (!m->built) return tfckpt__seterr(&m->err, TFCKPT_EINVAL, "model: not built");
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(path, &r);
  if (rc) {
    tfckpt__seterr(&m->err, rc, "%s", tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return rc;
  }
  const char *prefix = tfckpt_reader_prefix(r);
  for (size_t i = 0; !rc && i < m->nvars; i++) {
    nn_var *v = &m->vars[i];
    int64_t idx = tfckpt_reader_find(r, v->name);
    if (idx < 0) {
      rc = tfckpt__seterr(&m->err, TFCKPT_ENOTFOUND,
                         "%s: no variable \"%s\" (the checkpoint does not match model.json)",
                         prefix, v->name);
      break;
    }
    tfckpt_var_info info;
    tfckpt_reader_var(r, idx, &info);
    int same = info.dtype == v->dtype && info.rank == v->rank;
    for (int d = 0; same && d < v->rank; d++) same = info.dims[d] == v->dims[d];
    if (!same) {
      char have[64], want[64];
      shape_str(have, sizeof have, info.rank, info.dims);
      shape_str(want, sizeof want, v->rank, v->dims);
      rc = tfckpt__seterr(&m->err, TFCKPT_EINVAL,
                         "%s: variable \"%s\" is %s %s, the model expects %s %s", prefix, v->name,
                         tfckpt_dtype_name(info.dtype), have, tfckpt_dtype_name(v->dtype), want);
      break;
    }
    rc = tfckpt_reader_read_into(r, v->name, v->data, v->n * (v->dtype == TFCKPT_INT64 ? 8 : 4));
    if (rc) tfckpt__seterr(&m->err, rc, "%s", tfckpt_reader_errmsg(r));
  }
  tfckpt_reader_close(r);
  if (rc) return rc;
  if (m->v_global_step >= 0) m->global_step = *(int64_t *)m->vars[m->v_global_step].data;
  if (m->v_norm_count >= 0) {
    m->norm_count = *(int64_t *)m->vars[m->v_norm_count].data;
    return tfckpt_model_set_normalization(m, m->norm_mean, m->norm_var, m->norm_count);
  }
  return TFCKPT_OK;
}

/* ---- model.json ---- */

static void put(tfckpt__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(tfckpt__buf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) tfckpt__buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_str(tfckpt__buf *b, const char *s) { tfckpt__json_put_str(b, s, strlen(s)); }

/* Formats for put's "%s": JSON has no NaN or infinity, so those become null
 * (and read back as the default). */
static const char *f64s(char *buf, double v) {
  if (!isfinite(v)) return "null";
  tfckpt_fmt_f64(v, buf);
  return buf;
}
static const char *f32s(char *buf, float v) {
  if (!isfinite(v)) return "null";
  tfckpt_fmt_f32(v, buf);
  return buf;
}

int tfckpt_model_write_json(tfckpt_model *m, const char *path) {
  tfckpt__buf b = {0};
  const tfckpt_optimizer_config *o = &m->opt;
  put(&b, "{\n  \"format\": \"tfckpt-model\",\n  \"version\": 1,\n");
  put(&b, "  \"input_width\": %zu,\n  \"normalize\": %s,\n", m->in_width, m->has_norm ? "true" : "false");
  char n1[TFCKPT_NUMFMT_MAX], n2[TFCKPT_NUMFMT_MAX], n3[TFCKPT_NUMFMT_MAX], n4[TFCKPT_NUMFMT_MAX];
  put(&b, "  \"loss\": \"%s\",\n  \"l2\": %s,\n  \"leaky_alpha\": %s,\n  \"seed\": %llu,\n",
      tfckpt_loss_name(m->loss), f64s(n1, m->l2), f32s(n2, m->leaky_alpha), (unsigned long long)m->seed);
  put(&b, "  \"label\": ");
  if (m->label) put_str(&b, m->label);
  else put(&b, "null");
  put(&b, ",\n  \"num_classes\": %lld,\n  \"class_names\": [", (long long)m->num_classes);
  for (int64_t i = 0; i < m->nclass_names; i++) {
    if (i) put(&b, ", ");
    if (m->class_names[i]) put_str(&b, m->class_names[i]);
    else put(&b, "null");
  }
  put(&b, "],\n");
  if (m->has_train_info)
    put(&b, "  \"training\": {\"batch_size\": %llu, \"shuffle_buffer\": %llu, \"seed\": %llu, "
            "\"validation_split\": %s},\n",
        (unsigned long long)m->ti_batch_size, (unsigned long long)m->ti_shuffle_buffer,
        (unsigned long long)m->ti_seed, f64s(n1, m->ti_validation_split));
  put(&b, "  \"layers\": [\n");
  for (size_t i = 0; i < m->nlayers; i++) {
    const nn_layer *l = &m->layers[i];
    put(&b, "    {\"type\": \"%s\", \"name\": ", l->type == NN_DENSE ? "dense" : "dropout");
    put_str(&b, l->name);
    if (l->type == NN_DENSE)
      put(&b, ", \"units\": %zu, \"activation\": \"%s\", \"use_bias\": %s, \"initializer\": \"%s\"}",
          l->out, tfckpt_activation_name(l->act), l->use_bias ? "true" : "false",
          tfckpt_init_name(l->init));
    else
      put(&b, ", \"rate\": %s}", f32s(n1, l->rate));
    put(&b, i + 1 < m->nlayers ? ",\n" : "\n");
  }
  put(&b, "  ],\n  \"optimizer\": {\"name\": \"%s\", \"learning_rate\": %s, \"momentum\": %s, ",
      tfckpt_optimizer_name(o->kind), f64s(n1, o->lr), f64s(n2, o->momentum));
  put(&b, "\"nesterov\": %s, \"beta1\": %s, \"beta2\": %s, \"epsilon\": %s,\n",
      o->nesterov ? "true" : "false", f64s(n1, o->beta1), f64s(n2, o->beta2), f64s(n3, o->epsilon));
  put(&b, "    \"schedule\": \"%s\", \"decay_rate\": %s, \"decay_steps\": %lld, \"staircase\": %s, "
          "\"boundaries\": [",
      tfckpt_schedule_name(o->schedule), f64s(n4, o->decay_rate), (long long)o->decay_steps,
      o->staircase ? "true" : "false");
  for (int i = 0; i < o->nboundaries; i++) put(&b, "%s%lld", i ? ", " : "", (long long)o->boundaries[i]);
  put(&b, "], \"values\": [");
  for (int i = 0; o->nboundaries && i <= o->nboundaries; i++) put(&b, "%s%s", i ? ", " : "", f64s(n1, o->values[i]));
  put(&b, "]}\n}\n");
  if (b.oom) {
    tfckpt__buf_free(&b);
    return tfckpt__seterr(&m->err, TFCKPT_ENOMEM, "out of memory");
  }
  int rc = tfckpt__atomic_write_file(path, b.data, b.len, NULL, &m->err);
  tfckpt__buf_free(&b);
  return rc;
}

/* Numbers (and booleans as 0/1); anything else or a missing key is `def`. */
static double numv(const tfckpt__json *v, double def) {
  if (!v) return def;
  if (v->type == TFCKPT__JSON_NUMBER) return v->num.d;
  if (v->type == TFCKPT__JSON_TRUE) return 1;
  if (v->type == TFCKPT__JSON_FALSE) return 0;
  return def;
}
static double num(const tfckpt__json *o, const char *key, double def) {
  return numv(tfckpt__json_get(o, key), def);
}

/* Seeds and counts exactly when written as integers (a seed above 2^53
 * would not survive a double). */
static uint64_t u64(const tfckpt__json *o, const char *key, uint64_t def) {
  const tfckpt__json *v = tfckpt__json_get(o, key);
  uint64_t u;
  if (tfckpt__json_u64(v, &u)) return u;
  double d = numv(v, (double)def);
  return d >= 0 && d < 18446744073709551616.0 ? (uint64_t)d : def;
}
static int64_t i64v(const tfckpt__json *v, int64_t def) {
  int64_t i;
  if (tfckpt__json_i64(v, &i)) return i;
  double d = numv(v, (double)def);
  return d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (int64_t)d : def;
}

static const char *str(const tfckpt__json *o, const char *key) {
  const tfckpt__json *v = tfckpt__json_get(o, key);
  return v && v->type == TFCKPT__JSON_STRING ? v->str : NULL;
}

static int build_from_json(const tfckpt__json *j, const char *path, tfckpt_model *m, tfckpt__err *err) {
  int rc;
#define BAD(...) return tfckpt__seterr(err, TFCKPT_ECORRUPT, __VA_ARGS__)
  const tfckpt__json *layers = tfckpt__json_get(j, "layers");
  if (!layers || layers->type != TFCKPT__JSON_ARRAY_BEGIN || !layers->n) BAD("%s: no \"layers\" array", path);
  for (size_t i = 0; i < layers->n; i++) {
    const tfckpt__json *l = &layers->items[i];
    const char *type = str(l, "type");
    if (type && !strcmp(type, "dense")) {
      double units = num(l, "units", 0);
      int act = tfckpt_activation_from_name(str(l, "activation"));
      int init = tfckpt_init_from_name(str(l, "initializer"));
      if (!(units >= 1 && units <= (1 << 24)) || act < 0 || init < 0)
        BAD("%s: layer %zu: bad units, activation or initializer", path, i);
      rc = tfckpt_model_add_dense(m, (size_t)units, act, num(l, "use_bias", 1) != 0, init);
    } else if (type && !strcmp(type, "dropout")) {
      rc = tfckpt_model_add_dropout(m, num(l, "rate", 0));
    } else {
      BAD("%s: layer %zu: unknown type", path, i);
    }
    if (rc) return tfckpt__seterr(err, rc, "%s: %s", path, tfckpt_model_errmsg(m));
  }
  int loss = tfckpt_loss_from_name(str(j, "loss"));
  if (loss < 0) BAD("%s: unknown loss", path);
  if ((rc = tfckpt_model_set_loss(m, loss, num(j, "l2", 0))) ||
      (rc = tfckpt_model_set_leaky_alpha(m, num(j, "leaky_alpha", 0.2))))
    return tfckpt__seterr(err, rc, "%s: %s", path, tfckpt_model_errmsg(m));
  const tfckpt__json *oj = tfckpt__json_get(j, "optimizer");
  int kind = tfckpt_optimizer_from_name(str(oj, "name"));
  if (kind < 0) BAD("%s: unknown optimizer", path);
  tfckpt_optimizer_config oc;
  tfckpt_optimizer_config_init(&oc, kind);
  oc.lr = num(oj, "learning_rate", oc.lr);
  oc.momentum = num(oj, "momentum", oc.momentum);
  oc.nesterov = num(oj, "nesterov", 0) != 0;
  oc.beta1 = num(oj, "beta1", oc.beta1);
  oc.beta2 = num(oj, "beta2", oc.beta2);
  oc.epsilon = num(oj, "epsilon", oc.epsilon);
  const char *sched = str(oj, "schedule");
  oc.schedule = sched ? tfckpt_schedule_from_name(sched) : TFCKPT_LR_CONSTANT;
  if (oc.schedule < 0) BAD("%s: unknown learning-rate schedule", path);
  oc.decay_rate = num(oj, "decay_rate", oc.decay_rate);
  oc.decay_steps = i64v(tfckpt__json_get(oj, "decay_steps"), oc.decay_steps);
  oc.staircase = num(oj, "staircase", 0) != 0;
  const tfckpt__json *bj = tfckpt__json_get(oj, "boundaries"), *vj = tfckpt__json_get(oj, "values");
  if (bj && bj->type == TFCKPT__JSON_ARRAY_BEGIN && bj->n) {
    if (bj->n > TFCKPT_LR_MAX_BOUNDARIES || !vj || vj->type != TFCKPT__JSON_ARRAY_BEGIN || vj->n != bj->n + 1)
      BAD("%s: learning-rate boundaries/values do not match", path);
    oc.nboundaries = (int)bj->n;
    for (size_t i = 0; i < bj->n; i++) oc.boundaries[i] = i64v(&bj->items[i], 0);
    for (size_t i = 0; i < vj->n; i++) oc.values[i] = numv(&vj->items[i], 0);
  }
  if ((rc = tfckpt_model_set_optimizer(m, &oc)))
    return tfckpt__seterr(err, rc, "%s: %s", path, tfckpt_model_errmsg(m));
  if (num(j, "normalize", 0) != 0) {
    /* placeholders: the checkpoint holds the real statistics */
    size_t w = m->in_width;
    float *z = calloc(w, sizeof *z), *one = malloc(w * sizeof *one);
    if (!z || !one) {
      free(z), free(one);
      return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < w; i++) one[i] = 1.0f;
    rc = tfckpt_model_set_normalization(m, z, one, 0);
    free(z), free(one);
    if (rc) return tfckpt__seterr(err, rc, "%s: %s", path, tfckpt_model_errmsg(m));
  }
  if ((rc = tfckpt_model_build(m, u64(j, "seed", 0))))
    return tfckpt__seterr(err, rc, "%s: %s", path, tfckpt_model_errmsg(m));
  const char *label = str(j, "label");
  tfckpt_model_set_label(m, label, i64v(tfckpt__json_get(j, "num_classes"), 0));
  const tfckpt__json *ti = tfckpt__json_get(j, "training");
  if (ti && ti->type == TFCKPT__JSON_OBJECT_BEGIN) {
    double bs = num(ti, "batch_size", 0), sb = num(ti, "shuffle_buffer", 0), sd = num(ti, "seed", 0);
    double vs = num(ti, "validation_split", 0);
    if (!(bs >= 1 && bs <= (1 << 20) && sb >= 0 && sb <= 1e12 && sd >= 0 && sd < 18446744073709551616.0 &&
          vs >= 0 && vs < 1))
      BAD("%s: bad \"training\" settings", path);
    m->has_train_info = 1;
    m->ti_batch_size = u64(ti, "batch_size", 0), m->ti_shuffle_buffer = u64(ti, "shuffle_buffer", 0);
    m->ti_seed = u64(ti, "seed", 0);
    m->ti_validation_split = vs;
  }
  const tfckpt__json *cn = tfckpt__json_get(j, "class_names");
  if (cn && cn->type == TFCKPT__JSON_ARRAY_BEGIN)
    for (size_t i = 0; i < cn->n && i < (1u << 20); i++)
      if (cn->items[i].type == TFCKPT__JSON_STRING) tfckpt_model_set_class_name(m, (int64_t)i, cn->items[i].str);
  return TFCKPT_OK;
#undef BAD
}

int tfckpt_model_from_json(const char *path, tfckpt_model **out) {
  tfckpt__err err = {0};
  char *text = NULL;
  size_t len = 0;
  tfckpt__json *j = NULL;
  tfckpt_model *m = NULL;
  int rc = tfckpt__read_file(path, 1 << 24, &text, &len, &err);
  if (!rc) {
    /* a model.json holds a few hundred values; the cap bounds a hostile file's tree */
    rc = tfckpt__json_parse(text, len, "JSON", 0, 1u << 20, &j, &err);
    if (rc) tfckpt__err_prefix(&err, "%s", path);
  }
  if (!rc) {
    double w = num(j, "input_width", 0);
    const char *fmt = str(j, "format");
    if (!fmt || strcmp(fmt, "tfckpt-model"))
      rc = tfckpt__seterr(&err, TFCKPT_ECORRUPT, "%s: not a tfckpt model file (\"format\" is not \"tfckpt-model\")", path);
    else if (!(w >= 1 && w <= (1 << 24)))
      rc = tfckpt__seterr(&err, TFCKPT_ECORRUPT, "%s: bad input_width", path);
    else if ((rc = tfckpt_model_new((size_t)w, &m)) == 0)
      rc = build_from_json(j, path, m, &err);
  }
  tfckpt__json_free(j);
  free(text);
  if (!m) tfckpt_model_new(1, &m);
  if (m && rc) m->err = err;
  *out = m;
  return m ? rc : TFCKPT_ENOMEM;
}

int tfckpt_model_load(const char *dir, tfckpt_model **out) {
  char *json;
  if (tfckpt__is_dir(dir)) {
    json = tfckpt__path_join(dir, "model.json");
  } else {
    char *d = tfckpt__dirname(dir);
    json = d ? tfckpt__path_join(d, "model.json") : NULL;
    free(d);
  }
  if (!json) {
    *out = NULL;
    return TFCKPT_ENOMEM;
  }
  int rc = tfckpt_model_from_json(json, out);
  free(json);
  if (!rc) rc = tfckpt_model_restore(*out, dir);
  return rc;
}
