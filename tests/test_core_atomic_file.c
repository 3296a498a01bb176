/* The one atomic-file writer (core/atomic_file.c): commit semantics, temp
 * file cleanup, positional patching, buffering, in-place files, and every
 * error path, the ones the disk rarely produces included (fsync, rename and
 * directory-fsync failures are injected through the test hooks, which is why
 * this test links the test-hooks build). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tfckpt/internal/atomic_file.h"

#if !TFCKPT_TEST_HOOKS
#error "test_core_atomic_file needs the test-hooks build (tfckpt_testhooks)"
#endif

static char *g_dir;

static int wt_count_files(const char *dir, const char *substr) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) n += strstr(e->d_name, substr) != NULL;
  closedir(d);
  return n;
}

static long long wt_file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static char *path_of(const char *name) { return tu_path(g_dir, name); }

static int content_is(const char *path, const void *want, size_t n) {
  size_t len;
  uint8_t *got = tu_read_file(path, &len);
  int ok = got && len == n && (n == 0 || memcmp(got, want, n) == 0);
  free(got);
  return ok;
}

static void test_commit(void) {
  char *p = path_of("a.txt");
  tfckpt__err err = {0, ""};
  tfckpt__atomic_file f;
  CHECK_EQ(tfckpt__atomic_open(&f, p, NULL, &err), TFCKPT_OK);
  /* TF's temporary naming, in the target directory */
  CHECK(strncmp(f.temp_path, p, strlen(p)) == 0);
  CHECK(strncmp(f.temp_path + strlen(p), ".tempstate", 10) == 0);
  CHECK_EQ(wt_count_files(g_dir, "tempstate"), 1);
  CHECK_EQ(tfckpt__atomic_write(&f, "hello ", 6, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_write(&f, "world", 5, &err), TFCKPT_OK);
  CHECK_EQ(f.size, 11);
  CHECK_EQ(wt_file_size(p), -1); /* nothing under the final name before commit */
  CHECK_EQ(tfckpt__atomic_sync(&f, &err), TFCKPT_OK);
  CHECK_EQ(wt_file_size(p), -1);
  /* writing after the sync is a caller bug, reported rather than ignored */
  CHECK_EQ(tfckpt__atomic_write(&f, "x", 1, &err), TFCKPT_EINVAL);
  CHECK_EQ(tfckpt__atomic_commit(&f, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__fsync_dir(p, &err), TFCKPT_OK);
  CHECK(content_is(p, "hello world", 11));
  CHECK_EQ(wt_count_files(g_dir, "tempstate"), 0);
  tfckpt__atomic_release(&f);
  tfckpt__atomic_release(&f); /* twice is harmless */
  CHECK(content_is(p, "hello world", 11));

  /* commit without an explicit sync syncs first; replacing keeps the mode */
  CHECK_EQ(tfckpt__atomic_write_file(p, "new", 3, NULL, &err), TFCKPT_OK);
  CHECK(content_is(p, "new", 3));
  mode_t um = umask(0);
  umask(um);
  struct stat st;
  CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == (0644 & ~um));
  free(p);
}

static void test_release_removes_temp(void) {
  char *p = path_of("keep.txt");
  tfckpt__err err = {0, ""};
  CHECK_EQ(tu_write_file(p, "old", 3), 0);
  tfckpt__atomic_file f;
  CHECK_EQ(tfckpt__atomic_open(&f, p, NULL, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_write(&f, "partial", 7, &err), TFCKPT_OK);
  char *temp = strdup(f.temp_path);
  CHECK_EQ(wt_file_size(temp), 7);
  tfckpt__atomic_release(&f); /* never committed: the temporary goes */
  CHECK_EQ(wt_file_size(temp), -1);
  CHECK(content_is(p, "old", 3));
  /* also after a sync, and for a file whose open failed */
  CHECK_EQ(tfckpt__atomic_open(&f, p, NULL, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_sync(&f, &err), TFCKPT_OK);
  tfckpt__atomic_release(&f);
  CHECK_EQ(wt_count_files(g_dir, "tempstate"), 0);
  CHECK(content_is(p, "old", 3));
  free(temp);
  free(p);
}

static void test_pwrite_patch(int flags) {
  char *p = path_of(flags ? "z-buffered.bin" : "z.bin");
  tfckpt__err err = {0, ""};
  tfckpt__atomic_file f;
  CHECK_EQ(tfckpt__atomic_open_ex(&f, p, flags, NULL, &err), TFCKPT_OK);
  /* a zip-like layout: a header with a size field known only afterwards */
  uint8_t hdr[8] = {'H', 'D', 'R', ':', 0, 0, 0, 0};
  CHECK_EQ(tfckpt__atomic_write(&f, hdr, 8, &err), TFCKPT_OK);
  size_t big = (size_t)3 << 20; /* more than the buffer: goes around it */
  uint8_t *data = malloc(big);
  for (size_t i = 0; i < big; i++) data[i] = (uint8_t)(i * 7);
  CHECK_EQ(tfckpt__atomic_write(&f, data, 100, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_write(&f, data + 100, big - 100, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_write(&f, "END", 3, &err), TFCKPT_OK);
  CHECK_EQ(f.size, 8 + big + 3);
  uint8_t size_le[4] = {(uint8_t)big, (uint8_t)(big >> 8), (uint8_t)(big >> 16), 0};
  CHECK_EQ(tfckpt__atomic_pwrite(&f, size_le, 4, 4, &err), TFCKPT_OK);
  /* patches and appends interleave: the append goes after the end */
  CHECK_EQ(tfckpt__atomic_write(&f, "!", 1, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_pwrite(&f, "e", 1, 8 + big, &err), TFCKPT_OK);
  /* a patch must lie within what was written */
  CHECK_EQ(tfckpt__atomic_pwrite(&f, "xx", 2, f.size - 1, &err), TFCKPT_EINVAL);
  CHECK_CONTAINS(err.msg, "past the");
  CHECK_EQ(tfckpt__atomic_pwrite(&f, "x", 1, f.size + 1, &err), TFCKPT_EINVAL);
  CHECK_EQ(tfckpt__atomic_commit(&f, &err), TFCKPT_OK);
  tfckpt__atomic_release(&f);
  size_t len;
  uint8_t *got = tu_read_file(p, &len);
  CHECK(got && len == 8 + big + 4);
  if (got && len == 8 + big + 4) {
    CHECK(memcmp(got, "HDR:", 4) == 0 && memcmp(got + 4, size_le, 4) == 0);
    CHECK(memcmp(got + 8, data, big) == 0);
    CHECK(memcmp(got + 8 + big, "eND!", 4) == 0);
  }
  free(got);
  free(data);
  free(p);
}

static void test_buffered_small_writes(void) {
  char *p = path_of("many.bin");
  tfckpt__err err = {0, ""};
  tfckpt__atomic_file f;
  CHECK_EQ(tfckpt__atomic_open_ex(&f, p, TFCKPT__ATOMIC_BUFFERED, NULL, &err), TFCKPT_OK);
  uint32_t n = 600000; /* 2.4 MB in 4-byte writes: several buffer flushes */
  for (uint32_t i = 0; i < n; i++) tfckpt__atomic_write(&f, &i, 4, &err);
  CHECK_EQ(err.code, 0);
  CHECK_EQ(tfckpt__atomic_commit(&f, &err), TFCKPT_OK);
  tfckpt__atomic_release(&f);
  size_t len;
  uint32_t *got = (uint32_t *)tu_read_file(p, &len);
  CHECK_EQ(len, (size_t)n * 4);
  int ok = got != NULL;
  for (uint32_t i = 0; ok && i < n; i++) ok = got[i] == i;
  CHECK(ok);
  free(got);
  free(p);
}

static void test_in_place(void) {
  char *p = path_of("inplace.npy");
  tfckpt__err err = {0, ""};
  tfckpt__atomic_file f;
  CHECK_EQ(tfckpt__atomic_open_ex(&f, p, TFCKPT__ATOMIC_IN_PLACE, NULL, &err), TFCKPT_OK);
  CHECK_EQ(wt_file_size(p), 0); /* created under its own name */
  CHECK_EQ(tfckpt__atomic_write(&f, "abc", 3, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_commit(&f, &err), TFCKPT_OK);
  tfckpt__atomic_release(&f);
  CHECK(content_is(p, "abc", 3));
  /* a second file of the same name is refused, and the first survives the
   * failed open's release */
  CHECK_EQ(tfckpt__atomic_open_ex(&f, p, TFCKPT__ATOMIC_IN_PLACE, NULL, &err), TFCKPT_EEXIST);
  CHECK_CONTAINS(err.msg, "already exists");
  tfckpt__atomic_release(&f);
  CHECK(content_is(p, "abc", 3));
  /* uncommitted in-place files are removed like temporaries */
  char *q = path_of("inplace2.npy");
  CHECK_EQ(tfckpt__atomic_open_ex(&f, q, TFCKPT__ATOMIC_IN_PLACE, NULL, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_write(&f, "abc", 3, &err), TFCKPT_OK);
  tfckpt__atomic_release(&f);
  CHECK_EQ(wt_file_size(q), -1);
  free(q);
  free(p);
}

static void test_open_errors(void) {
  tfckpt__err err = {0, ""};
  tfckpt__atomic_file f;
  char *p = path_of("missing/x.bin");
  CHECK_EQ(tfckpt__atomic_open(&f, p, NULL, &err), TFCKPT_ENOTFOUND);
  CHECK_CONTAINS(err.msg, "cannot create a file in directory");
  tfckpt__atomic_release(&f);
  free(p);
  /* a directory under the final name fails at open, not at the rename */
  CHECK_EQ(tfckpt__atomic_open(&f, g_dir, NULL, &err), TFCKPT_EEXIST);
  CHECK_CONTAINS(err.msg, "is a directory");
  tfckpt__atomic_release(&f);
  CHECK_EQ(wt_count_files(g_dir, "tempstate"), 0);
  /* directory fsync of a directory that is not there */
  p = path_of("missing/x.bin");
  CHECK_EQ(tfckpt__fsync_dir(p, &err), TFCKPT_ENOTFOUND);
  CHECK_CONTAINS(err.msg, "cannot open directory");
  free(p);
}

/* Steps of tfckpt__atomic_write_file for a small file: 1 write, 2 fsync,
 * 3 rename, 4 directory fsync. */
static void test_injected_failures(void) {
  char *p = path_of("fail.txt");
  const struct {
    int step, err;
    int rc;
    const char *msg;
    int final_exists;
  } cases[] = {
      {1, ENOSPC, TFCKPT_EIO, "write failed: No space left on device", 0},
      {2, EIO, TFCKPT_EIO, "fsync failed", 0},
      {3, EXDEV, TFCKPT_EIO, "into place", 0},
      {4, EIO, TFCKPT_EIO, "directory fsync failed: Input/output error", 1},
      /* filesystems that cannot sync directories at all are not an error */
      {4, EINVAL, TFCKPT_OK, NULL, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unlink(p);
    tfckpt__err err = {0, ""};
    tfckpt__fault fault = {cases[i].step, cases[i].err};
    CHECK_EQ(tfckpt__atomic_write_file(p, "data", 4, &fault, &err), cases[i].rc);
    if (cases[i].msg) CHECK_CONTAINS(err.msg, cases[i].msg);
    CHECK_EQ(wt_file_size(p), cases[i].final_exists ? 4 : -1);
    CHECK_EQ(wt_count_files(g_dir, "tempstate"), 0);
  }
  /* a failed patch */
  tfckpt__err err = {0, ""};
  tfckpt__atomic_file f;
  tfckpt__fault fault = {0, EIO};
  unlink(p);
  CHECK_EQ(tfckpt__atomic_open_ex(&f, p, TFCKPT__ATOMIC_BUFFERED, &fault, &err), TFCKPT_OK);
  CHECK_EQ(tfckpt__atomic_write(&f, "0123456789", 10, &err), TFCKPT_OK);
  fault.countdown = 2; /* 1: the buffer flush, 2: the patch itself */
  CHECK_EQ(tfckpt__atomic_pwrite(&f, "ab", 2, 3, &err), TFCKPT_EIO);
  CHECK_CONTAINS(err.msg, "write failed");
  tfckpt__atomic_release(&f);
  CHECK_EQ(wt_file_size(p), -1);
  CHECK_EQ(wt_count_files(g_dir, "tempstate"), 0);
  free(p);
}

/* A killed writer leaves only its temporary behind, never the final name. */
static void test_kill(void) {
  char *p = path_of("killed.txt");
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    tfckpt__err err = {0, ""};
    tfckpt__fault fault = {3, 0}; /* before the rename */
    tfckpt__atomic_write_file(p, "data", 4, &fault, &err);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK_EQ(wt_file_size(p), -1);
  CHECK_EQ(wt_count_files(g_dir, "killed.txt.tempstate"), 1);
  free(p);
}

int main(void) {
  g_dir = tu_mkdtemp();
  test_commit();
  test_release_removes_temp();
  test_pwrite_patch(0);
  test_pwrite_patch(TFCKPT__ATOMIC_BUFFERED);
  test_buffered_small_writes();
  test_in_place();
  test_open_errors();
  test_injected_failures();
  test_kill();
  tu_rmtree(g_dir);
  free(g_dir);
  return tu_finish();
}
