/* CSV / TXT / LibSVM parsing, errors, shuffling, epochs, files and gzip. */
#include <math.h>
#include <zlib.h>

#include "tfckpt/tensor.h"

#include "harness.h"

static tfckpt_dataset_options base(const char **paths, size_t n) {
  tfckpt_dataset_options o;
  tfckpt_dataset_options_init(&o);
  o.paths = paths;
  o.npaths = n;
  return o;
}

static void test_basic_header_and_quotes(void) {
  /* names with quotes, an embedded delimiter and an embedded newline; CRLF;
   * a comment line; a quoted number; a quoted field spanning lines. */
  const char *p = tu_tmp_write("q.csv",
                               "# produced by hand\r\n"
                               "id,\"a,b\",\"multi\nline\",\"say \"\"hi\"\"\",label\r\n"
                               "0,1.5,\"2.5\",3,0\r\n"
                               "# a comment between rows\n"
                               "1, 4 ,\"5\",  6  ,1\n"
                               "\n"
                               "2,7,8,9,2");
  tfckpt_dataset_options o = base(&p, 1);
  o.comment = '#';
  o.label_columns = "label";
  o.feature_columns = "\"a,b\"" /* not a valid name form: plain name below */;
  o.feature_columns = NULL;
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  CHECK_EQ(tfckpt_dataset_ncolumns(ds), 5);
  CHECK_EQ(tfckpt_dataset_width(ds), 4);
  CHECK_STR(tfckpt_dataset_column_name(ds, 0), "id");
  CHECK_STR(tfckpt_dataset_column_name(ds, 1), "a,b");
  CHECK_STR(tfckpt_dataset_column_name(ds, 2), "multi\nline");
  CHECK_STR(tfckpt_dataset_column_name(ds, 3), "say \"hi\"");
  CHECK_STR(tfckpt_dataset_column_name(ds, 4), "label");
  CHECK(tfckpt_dataset_column_is_label(ds, 4));
  CHECK_EQ(tfckpt_dataset_label_dtype(ds), TFCKPT_INT32);
  CHECK_EQ(tfckpt_dataset_num_classes(ds), 3);
  tfckpt_dataset_close(ds);

  tu_rows r;
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK_EQ(r.rows, 3);
  float want[3][4] = {{0, 1.5f, 2.5f, 3}, {1, 4, 5, 6}, {2, 7, 8, 9}};
  for (int i = 0; i < 3 && r.rows == 3; i++) {
    for (int j = 0; j < 4; j++) CHECK(r.feat[i * 4 + j] == want[i][j]);
    CHECK(r.lab[i] == i);
  }
  tu_rows_free(&r);

  /* select by name and by index, label from the end */
  o.feature_columns = "say \"hi\",1";
  o.label_columns = "-1";
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK_EQ(r.width, 2);
  CHECK(r.rows == 3 && r.feat[0] == 3 && r.feat[1] == 1.5f && r.feat[4] == 9 && r.feat[5] == 7);
  tu_rows_free(&r);

  o.feature_columns = "nope";
  CHECK_EQ(tu_collect(&o, &r), TFCKPT_EINVAL);
  CHECK_STR(r.err, "unknown column \"nope\"");
  tu_rows_free(&r);
}

/* Quoted newlines must survive every possible chunk boundary. */
static void test_chunk_boundaries(void) {
  char *text = malloc(200000);
  size_t len = (size_t)sprintf(text, "k,v,w\n");
  for (int i = 0; i < 2000; i++) {
    if (i % 7 == 0)
      len += (size_t)sprintf(text + len, "%d,\"%d\",\"\n\n%d\"\n", i, i * 3, i);
    else if (i % 5 == 0)
      len += (size_t)sprintf(text + len, "%d,\"%d\"\r\n,%d\n", i, i * 3, i); /* row ends at CRLF */
    else
      len += (size_t)sprintf(text + len, "%d,%d,%d\n", i, i * 3, i);
  }
  (void)len;
  /* rows with i%5==0 (and not %7) end early: they are broken on purpose in
   * the skip test below; here keep only well-formed ones */
  len = (size_t)sprintf(text, "k,v,w\n");
  for (int i = 0; i < 2000; i++) {
    if (i % 7 == 0) len += (size_t)sprintf(text + len, "%d,\"%d\",\"\n\"\"x\"\"\n\"\n", i, i * 3);
    else len += (size_t)sprintf(text + len, "%d,%d,\"%d\"\r\n", i, i * 3, i);
  }
  const char *p = tu_tmp_write("bound.csv", text);
  size_t sizes[] = {16, 17, 31, 64, 100, 1000, 1 << 20};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    for (size_t threads = 1; threads <= 3; threads += 2) {
      tfckpt_dataset_options o = base(&p, 1);
      o.feature_columns = "k,v";
      o.label_columns = "";
      o.chunk_bytes = sizes[s];
      o.num_threads = threads;
      o.batch_size = 77;
      tu_rows r;
      CHECK_EQ(tu_collect(&o, &r), 0);
      if (r.rc) fprintf(stderr, "chunk %zu: %s\n", sizes[s], r.err);
      CHECK_EQ(r.rows, 2000);
      int ok = r.rows == 2000;
      for (size_t i = 0; ok && i < 2000; i++)
        ok = r.feat[i * 2] == (float)i && r.feat[i * 2 + 1] == (float)(i * 3);
      CHECK(ok);
      CHECK_EQ(r.label_width, 0);
      tu_rows_free(&r);
    }
  }
  free(text);
}

static void expect_error(const char *name, const char *text, const char *na, int on_error,
                         int want_rc, const char *want_msg, long want_rows, long want_skipped) {
  const char *p = tu_tmp_write(name, text);
  tfckpt_dataset_options o = base(&p, 1);
  o.na_values = na;
  o.on_error = on_error;
  o.chunk_bytes = 32;
  o.header = TFCKPT_HEADER_NAMES;
  tu_rows r;
  int rc = tu_collect(&o, &r);
  CHECK_EQ(rc, want_rc);
  if (want_msg) {
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", tu_tmpdir(), want_msg);
    CHECK_STR(r.err, full);
  }
  if (want_rows >= 0) CHECK_EQ(r.stats.rows, want_rows);
  if (want_skipped >= 0) CHECK_EQ(r.stats.skipped, want_skipped);
  tu_rows_free(&r);
}

static void test_errors(void) {
  const char *good = "a,b,c\n1,2,3\n4,5,6\n";
  (void)good;
  /* line numbers count the header, quoted newlines and comment lines */
  expect_error("e1.csv", "a,b,c\n1,\"x\ny\",3\n1,2\n", NULL, 0, TFCKPT_EDATA,
               "e1.csv:2:2: cannot parse \"x\ny\" as a number", -1, -1);
  expect_error("e2.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n", NULL, 0, TFCKPT_EDATA,
               "e2.csv:4:4: expected 3 fields, found 4", -1, -1);
  expect_error("e3.csv", "a,b,c\n1,2,3\n4,5\n", NULL, 0, TFCKPT_EDATA,
               "e3.csv:3:3: expected 3 fields, found 2", -1, -1);
  expect_error("e4.csv", "a,b,c\n1,2,3\n4,abc,6\n", NULL, 0, TFCKPT_EDATA,
               "e4.csv:3:2: cannot parse \"abc\" as a number", -1, -1);
  expect_error("e5.csv", "a,b,c\n1,2,3\n4,5,\"6\n7,8,9\n", NULL, 0, TFCKPT_EDATA,
               "e5.csv:3:3: unterminated quoted field", -1, -1);
  expect_error("e6.csv", "a,b,c\n1,2,3\n4,,6\n", NULL, 0, TFCKPT_EDATA,
               "e6.csv:3:2: missing value (no --na-value default for this column)", -1, -1);
  expect_error("e7.csv", "a,b,c\n1,2,3\n4,NA,6\n", NULL, 0, TFCKPT_EDATA,
               "e7.csv:3:2: missing value \"NA\" (no --na-value default for this column)", -1, -1);
  expect_error("e8.csv", "a,b,c\n1,\"2\"x,3\n", NULL, 0, TFCKPT_EDATA,
               "e8.csv:2:2: unexpected character after a closing quote", -1, -1);
  /* with defaults: values filled and counted as missing */
  {
    const char *p = tu_tmp_write("na.csv", "a,b,c\n1,,3\nNA,5,?\n7,8,9\n");
    tfckpt_dataset_options o = base(&p, 1);
    o.na_values = "-1,b=42.5";
    tfckpt_dataset *ds;
    CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
    const tfckpt_batch *b;
    CHECK_EQ(tfckpt_dataset_next(ds, &b), 0);
    CHECK(b && b->rows == 3);
    if (b && b->rows == 3) {
      CHECK(b->features[1] == 42.5f && b->features[3] == -1 && b->features[5] == -1);
      CHECK(b->features[0] == 1 && b->features[8] == 9);
    }
    CHECK_EQ(tfckpt_dataset_next(ds, &b), 0);
    CHECK(b == NULL);
    tfckpt_column_stats cs;
    tfckpt_dataset_column_stats(ds, 0, &cs);
    CHECK_EQ(cs.missing, 1);
    CHECK_EQ(cs.count, 2);
    CHECK(cs.mean == 4.0 && cs.min == 1 && cs.max == 7);
    tfckpt_dataset_column_stats(ds, 1, &cs);
    CHECK_EQ(cs.missing, 1);
    CHECK(cs.mean == 6.5);
    tfckpt_dataset_close(ds);
  }
  /* skip mode: bad rows are counted, good rows delivered */
  expect_error("s1.csv",
               "a,b,c\n1,2,3\n4,abc,6\n7,8\n\"9,1,1\n", NULL, TFCKPT_ON_ERROR_SKIP, 0, NULL, 1, 3);
  expect_error("s2.csv", "a,b,c\n1,2,3\n1,2,3,4\n4,5,6\n,,\nx,y,z\n7,8,9\n", NULL,
               TFCKPT_ON_ERROR_SKIP, 0, NULL, 3, 3);
  /* a missing file, a pattern that matches nothing */
  {
    char miss[512];
    snprintf(miss, sizeof miss, "%s/does-not-exist.csv", tu_tmpdir());
    const char *p = miss;
    tfckpt_dataset_options o = base(&p, 1);
    tu_rows r;
    CHECK_EQ(tu_collect(&o, &r), TFCKPT_ENOTFOUND);
    CHECK(strstr(r.err, "does-not-exist.csv") != NULL);
    tu_rows_free(&r);
    snprintf(miss, sizeof miss, "%s/nothing-*.csv", tu_tmpdir());
    CHECK_EQ(tu_collect(&o, &r), TFCKPT_ENOTFOUND);
    tu_rows_free(&r);
  }
  /* a reader-thread error (corrupt gzip in the second file) reaches next() */
  {
    const char *ok = tu_tmp_write("r1.csv", "a,b\n1,2\n3,4\n");
    const char *bad = tu_tmp_write("r2.csv", "\x1f\x8b\x08\x01garbage-not-deflate-data-at-all");
    const char *paths[] = {ok, bad};
    tfckpt_dataset_options o = base(paths, 2);
    tu_rows r;
    CHECK_EQ(tu_collect(&o, &r), TFCKPT_EIO);
    CHECK(strstr(r.err, "r2.csv: gzip: ") != NULL);
    CHECK_EQ(r.stats.rows, 2); /* the good file was read first */
    tu_rows_free(&r);
    paths[1] = tu_tmp_write("r3.csv", "\x1f\x8b\x08");
    CHECK_EQ(tu_collect(&o, &r), TFCKPT_EIO);
    char want[600];
    snprintf(want, sizeof want, "%s/r3.csv: gzip: truncated file", tu_tmpdir());
    CHECK_STR(r.err, want);
    tu_rows_free(&r);
  }
}

static void test_shuffle_epochs(void) {
  size_t n = 1000;
  char *text = malloc(n * 16 + 16);
  size_t len = (size_t)sprintf(text, "id,y\n");
  for (size_t i = 0; i < n; i++) len += (size_t)sprintf(text + len, "%zu,%.1f\n", i, i * 0.5);
  const char *p = tu_tmp_write("ids.csv", text);
  free(text);
  tfckpt_dataset_options o = base(&p, 1);
  o.label_columns = "y";
  o.shuffle_buffer = 100;
  o.seed = 1234;
  o.num_epochs = 3;
  o.batch_size = 64;
  o.chunk_bytes = 256;
  tu_rows a, b, c, d;
  CHECK_EQ(tu_collect(&o, &a), 0);
  CHECK_EQ(a.label_dtype, TFCKPT_FLOAT);
  CHECK_EQ(a.rows, 3 * n);
  /* each epoch holds every row exactly once, labels travel with their row */
  for (int e = 0; e < 3 && a.rows == 3 * n; e++) {
    char *seen = calloc(n, 1);
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
      float id = a.feat[e * n + i];
      size_t k = (size_t)id;
      if (k >= n || seen[k]) ok = 0;
      else seen[k] = 1;
      if (a.lab[e * n + i] != id * 0.5) ok = 0;
    }
    CHECK(ok);
    free(seen);
  }
  /* batches: 16 per epoch (15 x 64 + 40), epochs and iterations numbered */
  CHECK_EQ(a.batches, 48);
  for (size_t i = 0; i < a.batches && a.batches == 48; i++) {
    CHECK_EQ(a.batch_epoch[i], i / 16);
    CHECK_EQ(a.batch_iter[i], i);
    CHECK_EQ(a.batch_iter_in_epoch[i], i % 16);
    CHECK_EQ(a.batch_rows[i], i % 16 == 15 ? 40 : 64);
  }
  /* actually shuffled, and differently per epoch */
  size_t moved = 0, differs = 0;
  for (size_t i = 0; i < n && a.rows == 3 * n; i++) {
    moved += a.feat[i] != (float)i;
    differs += a.feat[i] != a.feat[n + i];
  }
  CHECK(moved > n / 2);
  CHECK(differs > n / 2);
  /* same seed -> same order, whatever the thread count and chunk size */
  o.num_threads = 4;
  CHECK_EQ(tu_collect(&o, &b), 0);
  CHECK(b.rows == a.rows && !memcmp(a.feat, b.feat, a.rows * sizeof(float)));
  o.num_threads = 1;
  o.queue_chunks = 2;
  o.prefetch = 0;
  CHECK_EQ(tu_collect(&o, &c), 0);
  CHECK(c.rows == a.rows && !memcmp(a.feat, c.feat, a.rows * sizeof(float)));
  o.seed = 4321;
  CHECK_EQ(tu_collect(&o, &d), 0);
  CHECK(d.rows == a.rows && memcmp(a.feat, d.feat, a.rows * sizeof(float)) != 0);
  tu_rows_free(&a);
  tu_rows_free(&b);
  tu_rows_free(&c);
  tu_rows_free(&d);

  /* no shuffle: file order; drop_remainder drops each epoch's tail */
  o.shuffle_buffer = 0;
  o.drop_remainder = 1;
  o.num_epochs = 2;
  CHECK_EQ(tu_collect(&o, &a), 0);
  CHECK_EQ(a.batches, 30);
  CHECK_EQ(a.rows, 2 * 960);
  CHECK(a.rows == 1920 && a.feat[0] == 0 && a.feat[959] == 959 && a.feat[960] == 0);
  CHECK_EQ(a.stats.rows, n);
  tu_rows_free(&a);

  /* a shuffle buffer larger than the data set is a full shuffle */
  o.shuffle_buffer = 5000;
  o.drop_remainder = 0;
  o.num_epochs = 1;
  CHECK_EQ(tu_collect(&o, &a), 0);
  CHECK_EQ(a.rows, n);
  tu_rows_free(&a);

  /* stopping early: close mid-stream with endless epochs joins everything */
  o.num_epochs = 0;
  o.num_threads = 3;
  o.shuffle_buffer = 50;
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  const tfckpt_batch *bt;
  for (int i = 0; i < 40; i++) {
    CHECK_EQ(tfckpt_dataset_next(ds, &bt), 0);
    CHECK(bt != NULL);
  }
  CHECK(bt && bt->epoch == 2);
  tfckpt_dataset_close(ds);
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  tfckpt_dataset_close(ds); /* before any next() */
}

/* The hold-out split and start_epoch, the two options the trainer's stream
 * is made of: EXCLUDE and ONLY partition every pass the same way (with any
 * thread count or chunk size, shuffled or not), and a stream opened at
 * start_epoch e gives exactly epoch e of a stream opened at 0. */
static void test_holdout_start_epoch(void) {
  size_t n = 1000;
  char *text = malloc(n * 16 + 16);
  size_t len = (size_t)sprintf(text, "id,y\n");
  for (size_t i = 0; i < n; i++) len += (size_t)sprintf(text + len, "%zu,%zu\n", i, i % 3);
  const char *p = tu_tmp_write("holdout.csv", text);
  free(text);
  tfckpt_dataset_options o = base(&p, 1);
  o.label_columns = "y";
  o.batch_size = 32;
  o.chunk_bytes = 300;
  o.holdout_fraction = 0.2;
  o.holdout_seed = 99;
  tu_rows tr, va, all;
  CHECK_EQ(tu_collect(&o, &tr), 0);
  o.holdout_select = TFCKPT_HOLDOUT_ONLY;
  CHECK_EQ(tu_collect(&o, &va), 0);
  /* file order without a shuffle: each side is the rows the predicate puts there */
  size_t nt = 0, nv = 0;
  int ok = tr.rows + va.rows == n;
  for (size_t i = 0; i < n && ok; i++) {
    int held = tfckpt_dataset_holdout_row(99, 0.2, i);
    if (held) ok = va.feat[nv++] == (float)i;
    else ok = tr.feat[nt++] == (float)i;
  }
  CHECK(ok);
  CHECK(va.rows > 150 && va.rows < 250);
  CHECK_EQ(tr.stats.rows, n); /* statistics cover both sides */

  /* shuffled over 3 epochs with other threads/chunks: every epoch holds
   * exactly the training rows */
  o.holdout_select = TFCKPT_HOLDOUT_EXCLUDE;
  o.shuffle_buffer = 200;
  o.seed = 5;
  o.num_epochs = 3;
  o.num_threads = 3;
  o.chunk_bytes = 97;
  CHECK_EQ(tu_collect(&o, &all), 0);
  CHECK_EQ(all.rows, 3 * tr.rows);
  for (size_t e = 0; e < 3 && all.rows == 3 * tr.rows; e++) {
    char *seen = calloc(n, 1);
    int good = 1;
    for (size_t i = 0; i < tr.rows; i++) {
      size_t k = (size_t)all.feat[e * tr.rows + i];
      if (k >= n || seen[k] || tfckpt_dataset_holdout_row(99, 0.2, k)) good = 0;
      else seen[k] = 1;
    }
    CHECK(good);
    free(seen);
  }

  /* start_epoch 2, one pass == the third epoch of the stream above */
  tu_rows e2;
  o.start_epoch = 2;
  o.num_epochs = 1;
  o.num_threads = 1;
  o.chunk_bytes = 4096;
  CHECK_EQ(tu_collect(&o, &e2), 0);
  CHECK(e2.rows == tr.rows && all.rows == 3 * tr.rows &&
        !memcmp(e2.feat, all.feat + 2 * tr.rows, tr.rows * sizeof(float)));
  CHECK(e2.batches > 0 && e2.batch_epoch[0] == 2 && e2.batch_iter_in_epoch[0] == 0);

  /* bad options */
  tu_rows bad;
  o.holdout_fraction = 1.0;
  CHECK_EQ(tu_collect(&o, &bad), TFCKPT_EINVAL);
  CHECK(strstr(bad.err, "hold-out fraction") != NULL);
  tu_rows_free(&bad);
  o.holdout_fraction = 0.1;
  o.holdout_select = 7;
  CHECK_EQ(tu_collect(&o, &bad), TFCKPT_EINVAL);
  tu_rows_free(&bad);
  tu_rows_free(&tr);
  tu_rows_free(&va);
  tu_rows_free(&all);
  tu_rows_free(&e2);
}

static void test_files_glob_gzip(void) {
  tu_tmp_write("part-1.csv", "a,b\n1,2\n3,4\n");
  tu_tmp_write("part-2.csv", "a,b\n5,6\n");
  const char *plain3 = "a,b\n7,8\n9,10\n";
  char gzpath[512];
  snprintf(gzpath, sizeof gzpath, "%s/part-3.csv.gz", tu_tmpdir());
  gzFile g = gzopen(gzpath, "wb");
  gzwrite(g, plain3, (unsigned)strlen(plain3));
  gzclose(g);
  char pat[512];
  snprintf(pat, sizeof pat, "%s/part-*.csv*", tu_tmpdir());
  const char *p = pat;
  tfckpt_dataset_options o = base(&p, 1);
  o.label_columns = "b";
  o.chunk_bytes = 16;
  tu_rows r;
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK_EQ(r.rows, 5);
  for (size_t i = 0; i < r.rows && r.rows == 5; i++) {
    CHECK(r.feat[i] == (float)(2 * i + 1));
    CHECK(r.lab[i] == 2.0 * i + 2);
  }
  tu_rows_free(&r);
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  CHECK_EQ(tfckpt_dataset_nfiles(ds), 3);
  tfckpt_dataset_close(ds);
}

static void test_other_formats(void) {
  /* whitespace TXT, no header, skip lines */
  const char *t = tu_tmp_write("w.txt", "junk line\nanother\n  1  2\t3\n4 5 6  \n\n7\t\t8 9\n");
  tfckpt_dataset_options o = base(&t, 1);
  o.skip_lines = 2;
  o.label_columns = "0";
  tu_rows r;
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK_EQ(r.width, 2);
  CHECK_EQ(r.rows, 3);
  CHECK(r.rows == 3 && r.feat[0] == 2 && r.feat[1] == 3 && r.feat[4] == 8 && r.lab[2] == 7);
  tu_rows_free(&r);

  /* other delimiters, header "no", float labels forced */
  const char *s = tu_tmp_write("semi.dat", "1;2;3\n4;5;6\n");
  o = base(&s, 1);
  o.delimiter = ';';
  o.header = TFCKPT_HEADER_NONE;
  o.label_columns = "c2";
  o.label_dtype = TFCKPT_FLOAT;
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK(r.rows == 2 && r.label_dtype == TFCKPT_FLOAT && r.lab[1] == 6 && r.feat[2] == 4);
  tu_rows_free(&r);
  const char *pipe = tu_tmp_write("pipe.csv", "x|y\n1|\"a|b\"\n");
  o = base(&pipe, 1);
  o.delimiter = '|';
  o.feature_columns = "x";
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK(r.rows == 1 && r.width == 1 && r.feat[0] == 1);
  tu_rows_free(&r);

  /* LibSVM, 1-based, comments and qid; width inferred */
  const char *l = tu_tmp_write("a.svm", "+1 1:0.5 3:-2 # comment\n-1 qid:3 2:1.25\n# only comment\n1 3:4\n");
  o = base(&l, 1);
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK_EQ(r.width, 3);
  CHECK_EQ(r.rows, 3);
  float w1[9] = {0.5f, 0, -2, 0, 1.25f, 0, 0, 0, 4};
  CHECK(r.rows == 3 && !memcmp(r.feat, w1, sizeof w1));
  CHECK(r.label_dtype == TFCKPT_INT32 && r.lab[0] == 1 && r.lab[1] == -1);
  tu_rows_free(&r);
  /* sparse output gives the same rows */
  o.sparse = 1;
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK(r.rows == 3 && !memcmp(r.feat, w1, sizeof w1));
  tu_rows_free(&r);
  /* explicit width: an index beyond it is an error naming line and token */
  o.sparse = 0;
  o.libsvm_width = 2;
  o.libsvm_zero_based = 0;
  CHECK_EQ(tu_collect(&o, &r), TFCKPT_EDATA);
  char want[600];
  snprintf(want, sizeof want, "%s/a.svm:1:3: feature index 3 is beyond the width 2", tu_tmpdir());
  CHECK_STR(r.err, want);
  tu_rows_free(&r);
  /* 0-based detected from index 0, width = max + 1 */
  const char *z = tu_tmp_write("z.libsvm", "0 0:1 4:2\n1 2:3\n");
  o = base(&z, 1);
  CHECK_EQ(tu_collect(&o, &r), 0);
  CHECK_EQ(r.width, 5);
  CHECK(r.rows == 2 && r.feat[0] == 1 && r.feat[4] == 2 && r.feat[7] == 3);
  tu_rows_free(&r);
  /* LibSVM sniffed from the content, whatever the name */
  const char *nz = tu_tmp_write("noext", "2 1:1\n3 2:2\n");
  o = base(&nz, 1);
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  CHECK_EQ(tfckpt_dataset_format(ds), TFCKPT_DATA_LIBSVM);
  CHECK_EQ(tfckpt_dataset_num_classes(ds), 4);
  tfckpt_dataset_close(ds);
}

static void test_tensors(void) {
  const char *p = tu_tmp_write("t.svm", "1 1:0.5 3:2\n0 2:-1\n");
  tfckpt_dataset_options o = base(&p, 1);
  for (int sparse = 0; sparse < 2; sparse++) {
    o.sparse = sparse;
    tfckpt_dataset *ds;
    CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
    const tfckpt_batch *b;
    CHECK_EQ(tfckpt_dataset_next(ds, &b), 0);
    tfckpt_tensor *f, *l;
    CHECK_EQ(tfckpt_batch_to_tensors(b, &f, &l), 0);
    CHECK_EQ(tfckpt_tensor_dtype(f), TFCKPT_FLOAT);
    CHECK_EQ(tfckpt_tensor_rank(f), 2);
    CHECK(tfckpt_tensor_dims(f)[0] == 2 && tfckpt_tensor_dims(f)[1] == 3);
    const float *fv = tfckpt_tensor_data(f);
    float want[6] = {0.5f, 0, 2, 0, -1, 0};
    CHECK(fv && !memcmp(fv, want, sizeof want));
    CHECK_EQ(tfckpt_tensor_dtype(l), TFCKPT_INT32);
    CHECK_EQ(tfckpt_tensor_rank(l), 1);
    const int32_t *lv = tfckpt_tensor_data(l);
    CHECK(lv && lv[0] == 1 && lv[1] == 0);
    tfckpt_tensor_free(f);
    tfckpt_tensor_free(l);
    tfckpt_dataset_close(ds);
  }
}

static void test_label_only(void) {
  const char *p = tu_tmp_write("lab.csv", "y\n1\n2\n3\n");
  tfckpt_dataset_options o = base(&p, 1);
  o.label_columns = "y";
  o.shuffle_buffer = 2;
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), 0);
  const tfckpt_batch *b;
  CHECK_EQ(tfckpt_dataset_next(ds, &b), 0);
  CHECK(b && b->rows == 3 && b->width == 0 && b->features != NULL);
  CHECK(b && b->labels_i32[0] + b->labels_i32[1] + b->labels_i32[2] == 6);
  tfckpt_dataset_close(ds);
}

/* Random near-CSV text: whatever it holds, the result (rows, skipped count
 * or error message) must not depend on chunk size or thread count. */
static void test_random_inputs(void) {
  static const char alphabet[] = "0123456789012345678901234567,,,,..\"\n\n\n\r e-+#xNA";
  unsigned seed = 7;
  char text[4096];
  int streamed = 0, failed = 0;
  for (int iter = 0; iter < 300; iter++) {
    size_t n = 1 + (size_t)(rand_r(&seed) % 600);
    for (size_t i = 0; i < n; i++) text[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
    text[n] = '\0';
    const char *p = tu_tmp_write("rand.csv", text);
    for (int mode = 0; mode < 2; mode++) {
      tu_rows ref, r;
      tfckpt_dataset_options o = base(&p, 1);
      o.on_error = mode;
      o.comment = (iter & 1) ? '#' : 0;
      o.header = TFCKPT_HEADER_NONE;
      o.format = TFCKPT_DATA_CSV;
      o.na_values = (iter & 2) ? "0" : NULL;
      int rc0 = tu_collect(&o, &ref);
      if (rc0 == TFCKPT_EDATA && ref.width == 0 && ref.rows == 0 && strstr(ref.err, "no data")) {
        tu_rows_free(&ref);
        continue;
      }
      o.chunk_bytes = 16 + (size_t)(rand_r(&seed) % 40);
      o.num_threads = 1 + (size_t)(rand_r(&seed) % 3);
      o.batch_size = 1 + (size_t)(rand_r(&seed) % 5);
      int rc1 = tu_collect(&o, &r);
      streamed += rc0 == 0 && ref.rows > 0;
      failed += rc0 == TFCKPT_EDATA;
      int same = rc0 == rc1 && !strcmp(ref.err, r.err) && ref.stats.skipped == r.stats.skipped &&
                 (rc0 != 0 || (ref.rows == r.rows && (!ref.rows ||
                  !memcmp(ref.feat, r.feat, ref.rows * ref.width * sizeof(float)))));
      CHECKF(same, "random input %d mode %d differs (chunk %zu): rc %d/%d \"%s\" / \"%s\"", iter,
             mode, o.chunk_bytes, rc0, rc1, ref.err, r.err);
      tu_rows_free(&ref);
      tu_rows_free(&r);
    }
  }
  printf("random inputs: %d streamed rows, %d stopped on a bad row\n", streamed, failed);
  CHECK(streamed > 50 && failed > 50);
}

static void test_bad_options(void) {
  const char *p = tu_tmp_write("o.csv", "a\n1\n");
  tfckpt_dataset_options o = base(&p, 1);
  o.batch_size = 0;
  tfckpt_dataset *ds;
  CHECK_EQ(tfckpt_dataset_open(&o, &ds), TFCKPT_EINVAL);
  CHECK(ds != NULL && strstr(tfckpt_dataset_errmsg(ds), "batch size") != NULL);
  tfckpt_dataset_close(ds);
  CHECK_EQ(tfckpt_dataset_open(NULL, &ds), TFCKPT_EINVAL);
  CHECK_STR(tfckpt_dataset_errmsg(NULL), "out of memory");
  tfckpt_dataset_close(NULL);
}

int main(void) {
  test_basic_header_and_quotes();
  test_chunk_boundaries();
  test_errors();
  test_shuffle_epochs();
  test_holdout_start_epoch();
  test_files_glob_gzip();
  test_other_formats();
  test_label_only();
  test_tensors();
  test_random_inputs();
  test_bad_options();
  return tu_finish();
}
