/* Crash safety: a child process writes a sizable checkpoint next to (or
 * over) an existing one and is SIGKILLed just before its 1st, 2nd, 3rd, ...
 * file-changing system call (TFCKPT_WRITER_KILL_AT), until it survives.
 * After every kill:
 *   - the previous checkpoint still opens, verifies and has its values;
 *   - the `checkpoint` file names a complete checkpoint;
 *   - whatever exists under a final name is complete: an index that exists
 *     opens, verifies and holds one version's values entirely, and data files
 *     have their full size. */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format/state.h"
#include "tfckpt/reader.h"
#include "tfckpt/writer.h"
#include "harness.h"

static int64_t g_n; /* float elements of the big tensor */

/* version 1 or 2 of the checkpoint: values differ by version */
static int write_ckpt(const char *prefix, int version, int update_state) {
  tfckpt_writer_options o;
  tfckpt_writer_options_init(&o);
  o.num_shards = 2;
  o.update_state = update_state;
  tfckpt_writer *w;
  int rc = tfckpt_writer_open(prefix, &o, &w);
  tfckpt_tensor *a = NULL, *b = NULL, *s = NULL;
  int64_t nb = 1000, ns = 3;
  if (!rc) rc = tfckpt_tensor_new(TFCKPT_FLOAT, 1, &g_n, &a);
  if (!rc) rc = tfckpt_tensor_new(TFCKPT_INT64, 1, &nb, &b);
  if (!rc) rc = tfckpt_tensor_new(TFCKPT_STRING, 1, &ns, &s);
  if (!rc) {
    float *av = tfckpt_tensor_mutable_data(a);
    for (int64_t i = 0; i < g_n; i++) av[i] = (float)i * (version == 1 ? 0.5f : 0.25f);
    int64_t *bv = tfckpt_tensor_mutable_data(b);
    for (int64_t i = 0; i < nb; i++) bv[i] = i * version;
    for (int64_t i = 0; i < ns; i++) {
      char buf[32];
      snprintf(buf, sizeof buf, "v%d-%lld", version, (long long)i);
      tfckpt_tensor_set_string(s, i, buf, strlen(buf));
    }
    rc = tfckpt_writer_add_to_shard(w, "big", a, 1);
    if (!rc) rc = tfckpt_writer_add_to_shard(w, "ints", b, 0);
    if (!rc) rc = tfckpt_writer_add_to_shard(w, "strs", s, 0);
    if (!rc) rc = tfckpt_writer_finish(w);
  }
  if (rc) fprintf(stderr, "write_ckpt %s: %s\n", prefix, tfckpt_writer_errmsg(w));
  tfckpt_tensor_free(a);
  tfckpt_tensor_free(b);
  tfckpt_tensor_free(s);
  tfckpt_writer_close(w);
  return rc;
}

/* Opens prefix, verifies every tensor and returns its version (1 or 2), or
 * 0 after reporting what is wrong. */
static int check_complete(const char *prefix) {
  tfckpt_reader *r;
  int version = 0;
  if (tfckpt_reader_open(prefix, &r) != TFCKPT_OK) {
    fprintf(stderr, "  %s does not open: %s\n", prefix, tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return 0;
  }
  for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++)
    if (tfckpt_reader_verify(r, i) != TFCKPT_OK) {
      fprintf(stderr, "  %s does not verify: %s\n", prefix, tfckpt_reader_errmsg(r));
      tfckpt_reader_close(r);
      return 0;
    }
  tfckpt_tensor *t;
  if (tfckpt_reader_get_tensor(r, "ints", &t) == TFCKPT_OK) {
    const int64_t *v = tfckpt_tensor_data(t);
    version = (int)v[1];
    for (int64_t i = 0; i < 1000 && version; i++)
      if (v[i] != i * version) version = 0;
    tfckpt_tensor_free(t);
  }
  if (version && tfckpt_reader_get_tensor(r, "big", &t) == TFCKPT_OK) {
    float *v = malloc((size_t)g_n * sizeof *v);
    memcpy(v, tfckpt_tensor_data(t), (size_t)g_n * sizeof *v);
    for (int64_t i = 0; i < g_n && version; i++)
      if (v[i] != (float)i * (version == 1 ? 0.5f : 0.25f)) version = 0;
    free(v);
    tfckpt_tensor_free(t);
  } else {
    version = 0;
  }
  if (version && tfckpt_reader_get_tensor(r, "strs", &t) == TFCKPT_OK) {
    const uint8_t *s;
    size_t len;
    char want[32];
    snprintf(want, sizeof want, "v%d-2", version);
    tfckpt_tensor_get_string(t, 2, &s, &len);
    if (len != strlen(want) || memcmp(s, want, len)) version = 0;
    tfckpt_tensor_free(t);
  } else {
    version = 0;
  }
  if (!version) fprintf(stderr, "  %s holds wrong or mixed values\n", prefix);
  tfckpt_reader_close(r);
  return version;
}

static void remove_matching(const char *dir, const char *substr) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096];
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, substr)) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  if (d) closedir(d);
}

static int run_child(const char *prefix, int version, int update_state, long long kill_at) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    char v[32];
    snprintf(v, sizeof v, "%lld", kill_at);
    setenv("TFCKPT_WRITER_KILL_AT", v, 1);
    _exit(write_ckpt(prefix, version, update_state) ? 3 : 0);
  }
  int status;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return 1; /* killed */
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;      /* finished */
  CHECKF(0, "child failed (status 0x%x) at kill point %lld", status, kill_at);
  return -1;
}

/* Data files present under final names must have their complete size. */
static void check_data_sizes(const char *prefix, const long long *size_v1,
                             const long long *size_v2) {
  for (int s = 0; s < 2; s++) {
    char path[4200];
    snprintf(path, sizeof path, "%s.data-%05d-of-00002", prefix, s);
    long long n = tu_file_size(path);
    CHECKF(n < 0 || n == size_v2[s] || (size_v1 && n == size_v1[s]),
           "%s is half-written (%lld bytes)", path, n);
  }
}

static void shard_sizes(const char *prefix, long long *out) {
  for (int s = 0; s < 2; s++) {
    char path[4200];
    snprintf(path, sizeof path, "%s.data-%05d-of-00002", prefix, s);
    out[s] = tu_file_size(path);
  }
}

/* A new checkpoint ckpt-2 beside ckpt-1, with the state file updated. */
static int scenario_new_prefix(const char *dir, const long long *sizes2) {
  char p1[4200], p2[4200], state[4200];
  snprintf(p1, sizeof p1, "%s/ckpt-1", dir);
  snprintf(p2, sizeof p2, "%s/ckpt-2", dir);
  snprintf(state, sizeof state, "%s/checkpoint", dir);
  CHECK_EQ(write_ckpt(p1, 1, 1), 0);
  int points = 0;
  for (long long k = 1; k < 500; k++) {
    int st = run_child(p2, 2, 1, k);
    if (st < 0) break;
    points++;
    CHECKF(check_complete(p1) == 1, "previous checkpoint damaged at kill point %lld", k);
    tfckpt_state s;
    tfckpt__err err = {0, ""};
    int read_rc = tfckpt__state_read(state, &s, &err);
    CHECKF(read_rc == TFCKPT_OK, "state file unreadable at kill point %lld: %s", k, err.msg);
    if (read_rc == TFCKPT_OK) {
      int latest2 = s.model_checkpoint_path && !strcmp(s.model_checkpoint_path, "ckpt-2");
      CHECK(latest2 || (s.model_checkpoint_path && !strcmp(s.model_checkpoint_path, "ckpt-1")));
      CHECKF(!latest2 || check_complete(p2) == 2,
             "state names ckpt-2 before it is complete (kill point %lld)", k);
      if (st == 0) CHECK(latest2);
      tfckpt_state_free(&s);
    }
    char idx[4300];
    snprintf(idx, sizeof idx, "%s.index", p2);
    CHECKF(tu_file_size(idx) < 0 || check_complete(p2) == 2,
           "ckpt-2.index exists but ckpt-2 is incomplete (kill point %lld)", k);
    check_data_sizes(p2, NULL, sizes2);
    if (st == 0) {
      CHECK_EQ(tu_count_files(dir, "tempstate"), 0);
      break;
    }
    /* back to the starting state for the next kill point */
    remove_matching(dir, "tempstate");
    remove_matching(dir, "ckpt-2");
    CHECK_EQ(write_ckpt(p1, 1, 1), 0);
  }
  return points;
}

/* ckpt-1 rewritten with new values under the same prefix. */
static int scenario_same_prefix(const char *dir, const long long *sizes1,
                                const long long *sizes2, int *absent) {
  char p1[4200], idx[4300];
  snprintf(p1, sizeof p1, "%s/ckpt-1", dir);
  snprintf(idx, sizeof idx, "%s.index", p1);
  CHECK_EQ(write_ckpt(p1, 1, 0), 0);
  int points = 0;
  *absent = 0;
  for (long long k = 1; k < 500; k++) {
    int st = run_child(p1, 2, 0, k);
    if (st < 0) break;
    points++;
    if (tu_file_size(idx) >= 0) {
      int v = check_complete(p1);
      CHECKF(v, "same-prefix overwrite left a broken checkpoint (kill point %lld)", k);
      if (st == 0) CHECK_EQ(v, 2);
    } else {
      (*absent)++;
    }
    check_data_sizes(p1, sizes1, sizes2);
    if (st == 0) break;
    remove_matching(dir, "tempstate");
    remove_matching(dir, "ckpt-1");
    CHECK_EQ(write_ckpt(p1, 1, 0), 0);
  }
  return points;
}

/* Kills after random delays spread over a full write's duration. */
static int scenario_timed(const char *dir, const long long *sizes2, int rounds) {
  char p1[4200], p2[4200];
  snprintf(p1, sizeof p1, "%s/ckpt-1", dir);
  snprintf(p2, sizeof p2, "%s/ckpt-2", dir);
  CHECK_EQ(write_ckpt(p1, 1, 1), 0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_EQ(write_ckpt(p2, 2, 1), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long long full_us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
  remove_matching(dir, "ckpt-2");
  CHECK_EQ(write_ckpt(p1, 1, 1), 0);
  int killed = 0;
  for (int k = 0; k < rounds; k++) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(write_ckpt(p2, 2, 1) ? 3 : 0);
    usleep((useconds_t)(full_us * k / rounds));
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    killed += WIFSIGNALED(status);
    CHECKF(check_complete(p1) == 1, "previous checkpoint damaged after a kill at %lld us",
           full_us * k / rounds);
    char idx[4300];
    snprintf(idx, sizeof idx, "%s.index", p2);
    CHECK(tu_file_size(idx) < 0 || check_complete(p2) == 2);
    check_data_sizes(p2, NULL, sizes2);
    remove_matching(dir, "tempstate");
    remove_matching(dir, "ckpt-2");
    CHECK_EQ(write_ckpt(p1, 1, 1), 0);
  }
  return killed;
}

int main(void) {
  const char *quick = getenv("TFCKPT_QUICK");
  /* 12 MiB of floats normally (several 4 MiB buffer flushes), 1.5 MiB quick */
  g_n = quick && *quick && strcmp(quick, "0") ? (int64_t)3 << 17 : (int64_t)3 << 20;
  char *dir = tu_mkdtemp();
  char ref[4200];
  long long sizes1[2], sizes2[2];
  snprintf(ref, sizeof ref, "%s/ref", dir);
  CHECK_EQ(write_ckpt(ref, 1, 0), 0);
  shard_sizes(ref, sizes1);
  CHECK_EQ(write_ckpt(ref, 2, 0), 0);
  shard_sizes(ref, sizes2);
  remove_matching(dir, "ref");

  int n1 = scenario_new_prefix(dir, sizes2);
  printf("new prefix + state file: killed at %d points, previous checkpoint intact each time\n",
         n1 - 1);
  CHECK(n1 > 10);
  remove_matching(dir, "ckpt");
  int timed = scenario_timed(dir, sizes2, quick && *quick && strcmp(quick, "0") ? 5 : 20);
  printf("timed kills: %d children killed mid-write, previous checkpoint intact each time\n",
         timed);
  remove_matching(dir, "ckpt");
  int absent = 0;
  int n2 = scenario_same_prefix(dir, sizes1, sizes2, &absent);
  printf("same prefix: killed at %d points; index absent after %d of them (the rename window)\n",
         n2 - 1, absent);
  CHECK(n2 > 10);
  /* only between unlinking the old index and renaming the new one: after
   * the unlink and after each of the 2 data-file renames */
  CHECK(absent <= 3);
  free(dir);
  return tu_finish();
}
