/* Small helpers shared by the writer tests (test_writer_*.c). */
#ifndef TFCKPT_TESTS_WRITER_TESTUTIL_H
#define TFCKPT_TESTS_WRITER_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_failures;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      g_failures++;                                                        \
    }                                                                      \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                 \
  do {                                                                     \
    long long a_ = (long long)(a), b_ = (long long)(b);                    \
    if (a_ != b_) {                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, \
              #a, #b, a_, b_);                                             \
      g_failures++;                                                        \
    }                                                                      \
  } while (0)

#define CHECK_CONTAINS(hay, needle)                                        \
  do {                                                                     \
    const char *h_ = (hay);                                                \
    if (!h_ || !strstr(h_, (needle))) {                                    \
      fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
              h_ ? h_ : "(null)", (needle));                               \
      g_failures++;                                                        \
    }                                                                      \
  } while (0)

/* A fresh empty directory under $TMPDIR (or /tmp); malloc'd path. */
__attribute__((unused)) static char *wt_make_tmpdir(const char *tag) {
  const char *base = getenv("TMPDIR");
  char *p = malloc(4096);
  snprintf(p, 4096, "%s/tfckpt_%s_XXXXXX", base && *base ? base : "/tmp", tag);
  if (!mkdtemp(p)) {
    perror("mkdtemp");
    exit(1);
  }
  return p;
}

/* Number of entries in dir (without . and ..); names containing `substr`
 * only when substr is non-NULL. */
__attribute__((unused)) static int wt_count_files(const char *dir, const char *substr) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && (!substr || strstr(e->d_name, substr)))
      n++;
  closedir(d);
  return n;
}

__attribute__((unused)) static void wt_rm_rf(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

__attribute__((unused)) static long long wt_file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

#endif
