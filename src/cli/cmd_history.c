/* tfckpt history: what a training directory's `checkpoint` state file
 * records, what of it is still on disk, and repairing paths left absolute by
 * a moved directory. */
#include <dirent.h>
#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/internal/atomic_file.h"
#include "tfckpt/internal/file.h"
#include "tfckpt/state.h"

static const cli_opt history_args[] = {
    {"DIR", NULL, NULL, "a training directory, or its `checkpoint` state file", 0},
    {0},
};

static const cli_opt history_opts[] = {
    {"--fix-paths", NULL, NULL,
     "rewrite absolute paths that point outside DIR (a moved or copied training directory) "
     "to paths relative to DIR, when the checkpoint is found in DIR; the file is replaced "
     "atomically", 0},
    CLI_OPT_JSON("print the entries as JSON"),
    {0},
};

typedef struct entry {
  const char *recorded; /* as in the file */
  char *resolved;
  int exists;
  char *found_in_dir;   /* absolute elsewhere, missing there, present in DIR */
  long long step;       /* -1: none */
  double ts;
  int has_ts;
  int latest;
} entry;

static int prefix_exists(const char *p) {
  char *idx = tfckpt__strdupf("%s.index", p);
  int ok = idx && tfckpt__is_file(idx);
  free(idx);
  if (ok || tfckpt__is_file(p)) return 1;
  char *pat = tfckpt__strdupf("%s-\?\?\?\?\?-of-\?\?\?\?\?", p);
  if (!pat) return 0;
  glob_t g;
  ok = glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0;
  if (ok || g.gl_pathc) globfree(&g);
  free(pat);
  return ok;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static long long step_of(const char *p) {
  const char *b = base_name(p);
  const char *dash = strrchr(b, '-');
  if (!dash || !dash[1]) return -1;
  long long v = 0;
  for (const char *q = dash + 1; *q; q++) {
    if (*q < '0' || *q > '9' || v > (long long)1e15) return -1;
    v = v * 10 + (*q - '0');
  }
  return v;
}

static char *time_str(char *buf, size_t cap, double ts) {
  /* A state file may say 1e30, nan or -inf: only seconds a time_t can hold
   * (years -9999..9999 here) are converted; the rest print as written. */
  struct tm tm;
  if (!(ts > -3.2e11 && ts < 2.5e11)) {
    snprintf(buf, cap, "%g (not a valid time)", ts);
    return buf;
  }
  time_t t = (time_t)ts;
  if (!gmtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
    snprintf(buf, cap, "%.3f", ts);
  return buf;
}

/* Is the directory part of absolute path p the same directory as dir? */
static int same_dir(const char *p, const char *dir) {
  char *d = tfckpt__dirname(p);
  if (!d) return 0;
  char *a = realpath(d, NULL), *b = realpath(dir, NULL);
  int same = a && b && !strcmp(a, b);
  free(a);
  free(b);
  free(d);
  return same;
}

static void fill_entry(entry *e, const char *recorded, const char *dir) {
  memset(e, 0, sizeof *e);
  e->recorded = recorded;
  e->resolved = recorded[0] == '/' ? strdup(recorded) : tfckpt__path_join(dir, recorded);
  e->exists = e->resolved && prefix_exists(e->resolved);
  e->step = step_of(recorded);
  if (recorded[0] == '/' && !same_dir(recorded, dir)) {
    char *local = tfckpt__path_join(dir, base_name(recorded));
    if (local && prefix_exists(local) && !e->exists) e->found_in_dir = local;
    else free(local);
  }
}

/* Checkpoints in dir (by .index) the state file does not mention. */
static void print_unrecorded(const char *dir, const entry *es, size_t n) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  int count = 0;
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name);
    if (l <= 6 || strcmp(de->d_name + l - 6, ".index")) continue;
    char *prefix = strndup(de->d_name, l - 6);
    if (!prefix) break;
    int known = 0;
    for (size_t i = 0; i < n && !known; i++)
      known = !strcmp(base_name(es[i].recorded), prefix) && (es[i].exists || es[i].found_in_dir);
    if (!known) printf("%s  %s", count++ ? "," : "\non disk but not recorded:", prefix);
    free(prefix);
  }
  closedir(d);
  if (count) putchar('\n');
}

static int fix_paths(const char *state_path, tfckpt_state *st, const char *dir) {
  int changed = 0, left = 0;
  for (size_t i = 0; i <= st->npaths; i++) {
    char **slot = i < st->npaths ? &st->all_paths[i] : &st->model_checkpoint_path;
    if (!*slot || (*slot)[0] != '/' || same_dir(*slot, dir)) continue;
    if (prefix_exists(*slot)) continue; /* still valid where it points */
    char *local = tfckpt__path_join(dir, base_name(*slot));
    int here = local && prefix_exists(local);
    free(local);
    if (!here) {
      printf("left as is (not found in %s either): %s\n", dir, *slot);
      left++;
      continue;
    }
    char *rel = strdup(base_name(*slot));
    if (!rel) {
      cli_error("history", "out of memory");
      return EXIT_FAIL;
    }
    printf("%s -> %s\n", *slot, rel);
    free(*slot);
    *slot = rel;
    changed++;
  }
  if (!changed) {
    printf("nothing to fix in %s%s\n", state_path, left ? "" : " (no stale absolute paths)");
    return EXIT_OK;
  }
  char *text = tfckpt_state_format(st);
  if (!text) {
    cli_error("history", "out of memory");
    return EXIT_FAIL;
  }
  tfckpt__err err = {0, ""};
  int rc = tfckpt__atomic_write_file(state_path, text, strlen(text), NULL, &err);
  free(text);
  if (rc) {
    cli_error("history", "%s", tfckpt__err_text(&err));
    return EXIT_FAIL;
  }
  printf("rewrote %d path%s in %s\n", changed, changed == 1 ? "" : "s", state_path);
  return EXIT_OK;
}

static int cmd_history(int argc, char **argv) {
  const char *path = NULL;
  int fix = 0, json = 0;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_history, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) path = p.value;
    else if (cli_is(&p, "--fix-paths")) fix = 1;
    else if (cli_is(&p, "--json")) json = 1;
  }
  if (!path) {
    cli_print_usage(stderr, &cli_cmd_history);
    return EXIT_USAGE;
  }
  char *dir, *state_path;
  if (tfckpt__is_dir(path)) {
    dir = strdup(path);
    state_path = tfckpt__path_join(path, "checkpoint");
  } else {
    dir = tfckpt__dirname(path);
    state_path = strdup(path);
  }
  if (!dir || !state_path) {
    free(dir);
    free(state_path);
    cli_error("history", "out of memory");
    return EXIT_FAIL;
  }
  tfckpt_state st;
  if (tfckpt_state_read(state_path, &st)) {
    if (tfckpt_errcode() == TFCKPT_ENOTFOUND && tfckpt__is_dir(path))
      cli_error("history", "%s: no `checkpoint` state file in this directory", path);
    else
      cli_error("history", "%s", tfckpt_errmsg());
    free(dir);
    free(state_path);
    return EXIT_FAIL;
  }
  if (fix) {
    int rc = fix_paths(state_path, &st, dir);
    tfckpt_state_free(&st);
    free(dir);
    free(state_path);
    return rc;
  }
  /* entries: all paths, plus the latest if the list lacks it */
  size_t n = st.npaths;
  entry *es = calloc(n + 1, sizeof *es);
  if (!es) {
    cli_error("history", "out of memory");
    tfckpt_state_free(&st);
    free(dir);
    free(state_path);
    return EXIT_FAIL;
  }
  int latest_listed = 0;
  for (size_t i = 0; i < n; i++) {
    fill_entry(&es[i], st.all_paths[i], dir);
    if (st.ntimestamps == st.npaths) {
      es[i].ts = st.timestamps[i];
      es[i].has_ts = 1;
    }
    if (st.model_checkpoint_path && !strcmp(st.all_paths[i], st.model_checkpoint_path)) {
      es[i].latest = 1;
      latest_listed = 1;
    }
  }
  if (st.model_checkpoint_path && !latest_listed) {
    fill_entry(&es[n], st.model_checkpoint_path, dir);
    es[n].latest = 1;
    n++;
  }
  size_t on_disk = 0;
  const entry *latest = NULL;
  for (size_t i = 0; i < n; i++) {
    on_disk += es[i].exists;
    if (es[i].latest) latest = &es[i];
  }
  char tb[64];
  if (json) {
    printf("{\"state_file\": ");
    tfckpt__json_fput_str(stdout, state_path, strlen(state_path));
    printf(", \"checkpoints\": [");
    for (size_t i = 0; i < n; i++) {
      printf("%s\n {\"path\": ", i ? "," : "");
      tfckpt__json_fput_str(stdout, es[i].recorded, strlen(es[i].recorded));
      printf(", \"resolved\": ");
      tfckpt__json_fput_str(stdout, es[i].resolved ? es[i].resolved : "", es[i].resolved ? strlen(es[i].resolved) : 0);
      if (es[i].step >= 0) printf(", \"step\": %lld", es[i].step);
      else printf(", \"step\": null");
      /* a state file may say "inf", which JSON cannot hold */
      if (es[i].has_ts && isfinite(es[i].ts)) printf(", \"timestamp\": %.6f", es[i].ts);
      else printf(", \"timestamp\": null");
      printf(", \"exists\": %s, \"latest\": %s", es[i].exists ? "true" : "false",
             es[i].latest ? "true" : "false");
      if (es[i].found_in_dir) {
        printf(", \"found_in_dir\": ");
        tfckpt__json_fput_str(stdout, es[i].found_in_dir, strlen(es[i].found_in_dir));
      }
      putchar('}');
    }
    printf("%s]}\n", n ? "\n" : "");
  } else {
    printf("%s: %zu checkpoint%s recorded, %zu on disk\n", state_path, n, n == 1 ? "" : "s",
           on_disk);
    int wpath = 4;
    for (size_t i = 0; i < n; i++) {
      int l = (int)strlen(es[i].recorded);
      if (l > wpath) wpath = l > 80 ? 80 : l;
    }
    printf("\n    %10s  %-23s  %-7s  %s\n", "step", "saved", "on disk", "path");
    for (size_t i = 0; i < n; i++) {
      char step[32];
      if (es[i].step >= 0) snprintf(step, sizeof step, "%lld", es[i].step);
      else snprintf(step, sizeof step, "-");
      printf("  %c %10s  %-23s  %-7s  %-*s%s", es[i].latest ? '*' : ' ', step,
             es[i].has_ts ? time_str(tb, sizeof tb, es[i].ts) : "-",
             es[i].exists ? "yes" : es[i].found_in_dir ? "moved" : "MISSING",
             es[i].latest || es[i].found_in_dir ? wpath : 0, es[i].recorded,
             es[i].latest ? "  (latest)" : "");
      if (es[i].found_in_dir)
        printf("  (found as %s; tfckpt history --fix-paths repairs this)", es[i].found_in_dir);
      putchar('\n');
    }
    if (!latest)
      printf("\nno latest checkpoint recorded (model_checkpoint_path is missing)\n");
    else if (latest->exists)
      printf("\nlatest: %s\n", latest->resolved);
    else if (latest->found_in_dir)
      printf("\nlatest: %s is not there; found as %s\n", latest->recorded, latest->found_in_dir);
    else
      printf("\nlatest: %s does not exist (TensorFlow would find no checkpoint)\n",
             latest->resolved ? latest->resolved : latest->recorded);
    if (st.has_last_preserved)
      printf("last preserved: %s\n", time_str(tb, sizeof tb, st.last_preserved_timestamp));
    print_unrecorded(dir, es, n);
  }
  for (size_t i = 0; i < n; i++) {
    free(es[i].resolved);
    free(es[i].found_in_dir);
  }
  free(es);
  tfckpt_state_free(&st);
  free(dir);
  free(state_path);
  return EXIT_OK;
}

const cli_command cli_cmd_history = {
    .name = "history",
    .run = cmd_history,
    .summary = "checkpoints a `checkpoint` file records (--fix-paths)",
    .usage = "DIR [options]",
    .about = "Lists every checkpoint DIR/checkpoint records, oldest first: step (from the\n"
             "name), save time (when recorded), whether it still exists, and which one is\n"
             "the latest.\n",
    .args = history_args,
    .groups = {{NULL, history_opts}},
};
