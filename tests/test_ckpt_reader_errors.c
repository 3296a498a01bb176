/* Bad input: every failure gets one clear message naming the file and the
 * problem, and a non-zero status; never a crash or a huge allocation. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tfckpt/reader.h"

static char *dir;

/* Opens `path`, expects status `want` and a message containing `frag`. */
static void expect_open(const char *path, int want, const char *frag) {
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(path, &r);
  CHECK_EQ(rc, want);
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), frag);
  tfckpt_reader_close(r);
}

/* Opens `path` (must work), reads every variable; expects the first failure
 * to be `want` with `frag` in the message. */
static void expect_read(const char *path, int want, const char *frag) {
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(path, &r);
  CHECK_EQ(rc, TFCKPT_OK);
  int got = TFCKPT_OK;
  for (int64_t i = 0; rc == TFCKPT_OK && i < tfckpt_reader_num_variables(r) && !got; i++) {
    tfckpt_tensor *t;
    got = tfckpt_reader_get_tensor_at(r, i, &t);
    tfckpt_tensor_free(t);
  }
  CHECK_EQ(got, want);
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), frag);
  tfckpt_reader_close(r);
}

/* A private copy of the sharded transformer checkpoint. */
static char *copy_t2t(const char *name) {
  char *sub = tu_path(dir, name);
  mkdir(sub, 0755);
  const char *files[] = {"model.ckpt-1.index", "model.ckpt-1.data-00000-of-00002",
                         "model.ckpt-1.data-00001-of-00002"};
  for (int i = 0; i < 3; i++) {
    char rel[256];
    snprintf(rel, sizeof rel, "tf1_sharded_t2t_transformer/%s", files[i]);
    char *to = tu_path(sub, files[i]);
    CHECK_EQ(tu_copy_file(tu_fixture(rel), to), 0);
    free(to);
  }
  char *prefix = tu_path(sub, "model.ckpt-1");
  free(sub);
  return prefix;
}

static char *with_suffix(const char *prefix, const char *suffix) {
  char *p = malloc(strlen(prefix) + strlen(suffix) + 1);
  sprintf(p, "%s%s", prefix, suffix);
  return p;
}

int main(void) {
  dir = tu_mkdtemp();

  /* nothing there: the message lists what was tried */
  char *missing = tu_path(dir, "no/such/model.ckpt");
  expect_open(missing, TFCKPT_ENOTFOUND, "tried:");
  expect_open(missing, TFCKPT_ENOTFOUND, "model.ckpt.index");
  free(missing);

  /* a random file is not a checkpoint */
  char *junk = tu_path(dir, "junk.bin");
  uint8_t bytes[1000];
  for (int i = 0; i < 1000; i++) bytes[i] = (uint8_t)(i * 131 + 7);
  tu_write_file(junk, bytes, sizeof bytes);
  expect_open(junk, TFCKPT_ECORRUPT, "not a checkpoint");
  free(junk);

  /* truncated index: shorter than the footer, then cut inside the footer */
  char *p = copy_t2t("trunc1");
  char *idx = with_suffix(p, ".index");
  tu_truncate(idx, 20);
  expect_open(p, TFCKPT_ECORRUPT, "shorter than the 48-byte footer");
  expect_open(idx, TFCKPT_ECORRUPT, "model.ckpt-1.index");
  free(idx), free(p);
  p = copy_t2t("trunc2");
  idx = with_suffix(p, ".index");
  tu_truncate(idx, 5000);
  expect_open(p, TFCKPT_ECORRUPT, "bad magic number");
  free(idx), free(p);

  /* bad magic */
  p = copy_t2t("magic");
  idx = with_suffix(p, ".index");
  tu_flip_byte(idx, -1, 0x01);
  expect_open(p, TFCKPT_ECORRUPT, "not an sstable (bad magic number)");
  free(idx), free(p);

  /* a flipped byte inside the data block: block checksum */
  p = copy_t2t("blockcrc");
  idx = with_suffix(p, ".index");
  tu_flip_byte(idx, 3000, 0x20);
  expect_open(p, TFCKPT_ECHECKSUM, "block checksum mismatch at offset 0");
  free(idx), free(p);

  /* data file shorter than its entries say: listing works, reading fails */
  p = copy_t2t("shortdata");
  char *data1 = with_suffix(p, ".data-00001-of-00002");
  tu_truncate(data1, 1000);
  expect_read(p, TFCKPT_ECORRUPT, "points past the end of its data file");
  free(data1), free(p);

  /* missing shard */
  p = copy_t2t("noshard");
  data1 = with_suffix(p, ".data-00001-of-00002");
  unlink(data1);
  expect_read(p, TFCKPT_ENOTFOUND, "data file missing");
  expect_read(p, TFCKPT_ENOTFOUND, "model.ckpt-1.data-00001-of-00002");
  free(data1), free(p);

  /* a changed value byte: checksum mismatch naming the tensor */
  p = copy_t2t("valuecrc");
  data1 = with_suffix(p, ".data-00001-of-00002");
  tu_flip_byte(data1, 100, 0x04);
  {
    tfckpt_reader *r;
    CHECK_EQ(tfckpt_reader_open(p, &r), TFCKPT_OK);
    int bad = 0;
    for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++)
      if (tfckpt_reader_verify(r, i) == TFCKPT_ECHECKSUM) {
        bad++;
        CHECK_CONTAINS(tfckpt_reader_errmsg(r), "checksum mismatch in tensor");
        CHECK_CONTAINS(tfckpt_reader_errmsg(r), "Adam");
      }
    CHECK_EQ(bad, 1);
    tfckpt_reader_close(r);
  }
  free(data1), free(p);

  /* crafted entries: size that does not match dtype x shape */
  float three[3] = {1, 2, 3};
  int64_t d3[] = {3}, huge[] = {INT64_C(1) << 40, INT64_C(1) << 40}, big[] = {INT64_C(1) << 40};
  char *pre = tu_path(dir, "crafted");
  tu_entry e = {"w", TFCKPT_FLOAT, 1, d3, three, 8, -1, 0};
  CHECK_EQ(tu_write_bundle(pre, &e, 1), 0);
  expect_open(pre, TFCKPT_ECORRUPT, "stores 8 bytes, but float32 with 3 elements needs 12");
  /* dimensions whose product overflows */
  e = (tu_entry){"w", TFCKPT_FLOAT, 2, huge, three, 12, -1, 0};
  tu_write_bundle(pre, &e, 1);
  expect_open(pre, TFCKPT_ECORRUPT, "product of its dimensions overflows");
  /* a huge string tensor in a few bytes must not allocate */
  e = (tu_entry){"s", TFCKPT_STRING, 1, big, three, 12, -1, 0};
  tu_write_bundle(pre, &e, 1);
  expect_open(pre, TFCKPT_ECORRUPT, "1099511627776 elements in 12 bytes");
  /* invalid dtype */
  e = (tu_entry){"w", 77, 1, d3, three, 12, -1, 0};
  tu_write_bundle(pre, &e, 1);
  expect_open(pre, TFCKPT_ECORRUPT, "invalid dtype 77");
  /* wrong stored CRC */
  e = (tu_entry){"w", TFCKPT_FLOAT, 1, d3, three, 12, -1, 1};
  tu_write_bundle(pre, &e, 1);
  expect_read(pre, TFCKPT_ECHECKSUM, "checksum mismatch in tensor \"w\"");
  /* the crafted writer itself is right: a good entry reads back */
  e = (tu_entry){"w", TFCKPT_FLOAT, 1, d3, three, 12, -1, 0};
  tu_write_bundle(pre, &e, 1);
  {
    tfckpt_reader *r;
    CHECK_EQ(tfckpt_reader_open(pre, &r), TFCKPT_OK);
    float back[3] = {0};
    CHECK_EQ(tfckpt_reader_read_into(r, "w", back, sizeof back), TFCKPT_OK);
    CHECK(back[0] == 1 && back[1] == 2 && back[2] == 3);
    CHECK_EQ(tfckpt_reader_read_into(r, "w", back, 4), TFCKPT_ERANGE);
    tfckpt_reader_close(r);
  }
  free(pre);

  /* data file given whose index is missing */
  char *orphan = tu_path(dir, "orphan.data-00000-of-00001");
  tu_write_file(orphan, "x", 1);
  expect_open(orphan, TFCKPT_ENOTFOUND, "its index");
  free(orphan);

  /* a directory whose `checkpoint` file names a deleted checkpoint */
  expect_open(tu_fixture("index_only_missing_data_td3"), TFCKPT_ENOTFOUND,
              "names checkpoint \"ckpt-1\", which does not exist");
  expect_open(tu_fixture("index_only_missing_data_td3"), TFCKPT_ENOTFOUND,
              "checkpoints present: ckpt-10");

  free(dir);
  return tu_finish();
}
