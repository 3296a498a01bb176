/* Real data: the CSV data sets of Debian's python3-sklearn and LibSVM's
 * heart_scale (liblinear-tools).  Missing files are reported as SKIP. */
#include <math.h>
#include <unistd.h>

#include "harness.h"

#define SKL "/usr/lib/python3/dist-packages/sklearn/datasets/data/"
#define HEART "/usr/share/doc/liblinear-tools/examples/heart_scale"

static size_t g_w;
static int cmp_rows(const void *a, const void *b) {
  return memcmp(a, b, g_w * sizeof(float));
}

/* rows of `r` with the label appended, sorted, so that two streams can be
 * compared as multisets */
static float *sorted_rows(const tu_rows *r) {
  size_t w = r->width + 1;
  float *m = malloc(r->rows * w * sizeof *m + 1);
  for (size_t i = 0; i < r->rows; i++) {
    memcpy(m + i * w, r->feat + i * r->width, r->width * sizeof(float));
    m[i * w + r->width] = (float)r->lab[i];
  }
  g_w = w;
  qsort(m, r->rows, w * sizeof(float), cmp_rows);
  return m;
}

static void check_set(const char *path, const char *label, size_t rows, size_t width,
                      int64_t classes, size_t per_class_min) {
  if (access(path, R_OK)) {
    printf("SKIP %s: not installed\n", path);
    return;
  }
  tfckpt_dataset_options o;
  tfckpt_dataset_options_init(&o);
  o.paths = &path;
  o.npaths = 1;
  o.label_columns = label;
  o.batch_size = 50;
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  CHECK_EQ(tfckpt_dataset_width(ds), width);
  CHECK_EQ(tfckpt_dataset_label_dtype(ds), TFCKPT_INT32);
  CHECK_EQ(tfckpt_dataset_num_classes(ds), classes);
  tfckpt_dataset_close(ds);

  tu_rows plain, shuf;
  CHECK_EQ(tu_collect(&o, &plain), 0);
  CHECK_EQ(plain.rows, rows);
  CHECK_EQ(plain.stats.rows, rows);
  CHECK(plain.stats.complete);
  /* labels are class ids, every class present */
  size_t *count = calloc((size_t)classes + 1, sizeof *count);
  int ok = 1;
  for (size_t i = 0; i < plain.rows; i++) {
    double l = plain.lab[i];
    if (l < 0 || l >= (double)classes || l != floor(l)) ok = 0;
    else count[(size_t)l]++;
  }
  CHECK(ok);
  for (int64_t c = 0; c < classes; c++) CHECK(count[c] >= per_class_min);
  free(count);

  /* a shuffled epoch (2 threads, small chunks) holds exactly the same rows */
  o.shuffle_buffer = 64;
  o.seed = 99;
  o.chunk_bytes = 1000;
  o.num_threads = 2;
  CHECK_EQ(tu_collect(&o, &shuf), 0);
  CHECK_EQ(shuf.rows, rows);
  if (shuf.rows == plain.rows && plain.rows == rows) {
    float *a = sorted_rows(&plain), *b = sorted_rows(&shuf);
    CHECK(!memcmp(a, b, rows * (width + 1) * sizeof(float)));
    CHECK(memcmp(plain.feat, shuf.feat, rows * width * sizeof(float)) != 0);
    free(a);
    free(b);
  }
  tu_rows_free(&plain);
  tu_rows_free(&shuf);
  printf("ok %s: %zu rows x %zu features, %lld classes\n", path, rows, width, (long long)classes);
}

static void check_iris_details(void) {
  const char *path = SKL "iris.csv";
  if (access(path, R_OK)) return;
  tfckpt_dataset_options o;
  tfckpt_dataset_options_init(&o);
  o.paths = &path;
  o.npaths = 1;
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  CHECK_EQ(tfckpt_dataset_declared_rows(ds), 150);
  CHECK_STR(tfckpt_dataset_class_name(ds, 0), "setosa");
  CHECK_STR(tfckpt_dataset_class_name(ds, 2), "virginica");
  CHECK(tfckpt_dataset_class_name(ds, 3) == NULL);
  CHECK_STR(tfckpt_dataset_column_name(ds, 4), "target");
  const tfckpt_batch *b;
  CHECK_EQ(tfckpt_dataset_next(ds, &b), 0);
  /* first row of the file: 5.1,3.5,1.4,0.2,0 */
  CHECK(b && b->features[0] == 5.1f && b->features[1] == 3.5f && b->features[2] == 1.4f &&
        b->features[3] == 0.2f && b->labels_i32[0] == 0);
  while (tfckpt_dataset_next(ds, &b) == 0 && b) {}
  /* means computed independently: strtod over the file */
  FILE *f = fopen(path, "r");
  char line[256];
  double sum[5] = {0};
  int n = 0;
  CHECK(fgets(line, sizeof line, f) != NULL);
  while (fgets(line, sizeof line, f)) {
    char *p = line;
    for (int j = 0; j < 5; j++) {
      sum[j] += strtod(p, &p);
      if (*p == ',') p++;
    }
    n++;
  }
  fclose(f);
  CHECK_EQ(n, 150);
  for (size_t j = 0; j < 5; j++) {
    tfckpt_column_stats cs;
    tfckpt_dataset_column_stats(ds, j, &cs);
    CHECK(fabs(cs.mean - sum[j] / n) < 1e-12);
    CHECK_EQ(cs.count, 150);
    CHECK_EQ(cs.missing, 0);
    CHECK_EQ(cs.dtype, j == 4 ? TFCKPT_INT64 : TFCKPT_FLOAT);
  }
  tfckpt_dataset_close(ds);
}

static void check_heart(void) {
  const char *path = HEART;
  if (access(path, R_OK)) {
    printf("SKIP heart_scale: %s not installed (apt-get install liblinear-tools)\n", path);
    return;
  }
  /* independent count of the labels */
  FILE *f = fopen(path, "r");
  char line[4096];
  size_t pos = 0, neg = 0;
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "+1", 2)) pos++;
    else if (!strncmp(line, "-1", 2)) neg++;
  }
  fclose(f);
  tfckpt_dataset_options o;
  tfckpt_dataset_options_init(&o);
  o.paths = &path;
  o.npaths = 1;
  tu_rows r, s;
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK_EQ(r.width, 13);
  CHECK_EQ(r.rows, pos + neg);
  CHECK_EQ(r.rows, 270);
  size_t p2 = 0, n2 = 0;
  int inrange = 1;
  for (size_t i = 0; i < r.rows; i++) {
    p2 += r.lab[i] == 1;
    n2 += r.lab[i] == -1;
    for (size_t j = 0; j < 13; j++) inrange &= r.feat[i * 13 + j] >= -1 && r.feat[i * 13 + j] <= 1;
  }
  CHECK_EQ(p2, pos);
  CHECK_EQ(n2, neg);
  CHECK(inrange);
  /* first row: +1 1:0.708333 2:1 3:1 4:-0.320755 ... 11 absent */
  CHECK(r.rows && r.feat[0] == 0.708333f && r.feat[3] == -0.320755f && r.feat[10] == 0);
  o.sparse = 1;
  CHECK_EQ(tu_collect(&o, &s), 0);
  CHECK(s.rows == r.rows && !memcmp(s.feat, r.feat, r.rows * 13 * sizeof(float)));
  tu_rows_free(&r);
  tu_rows_free(&s);
  printf("ok heart_scale: 270 rows x 13 features (%zu +1, %zu -1)\n", pos, neg);
}

int main(void) {
  check_set(SKL "iris.csv", NULL, 150, 4, 3, 50);
  check_set(SKL "wine_data.csv", NULL, 178, 13, 3, 48);
  check_set(SKL "breast_cancer.csv", NULL, 569, 30, 2, 212);
  check_set(SKL "digits.csv.gz", "-1", 1797, 64, 10, 170);
  check_iris_details();
  check_heart();
  return tu_finish();
}
