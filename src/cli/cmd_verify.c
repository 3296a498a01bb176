/* tfckpt verify: check every tensor's CRC32C, or print sha256 sums. */
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_util.h"
#include "cli/commands.h"

static const cli_opt verify_args[] = {CLI_ARG_CHECKPOINT, {0}};

static const cli_opt verify_opts[] = {
    {"--hash", NULL, NULL,
     "print \"<sha256>  <name>\" per tensor, like sha256sum; the hash is over the values "
     "in little-endian row-major order (string tensors: each element as an 8-byte "
     "little-endian length and its bytes)", 0},
    CLI_OPT_QUIET("print only failures"),
    {0},
};

static void hash_tensor(const tfckpt_tensor *t, char hex[65]) {
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  int dt = tfckpt_tensor_dtype(t);
  if (dt == TFCKPT_STRING || dt == TFCKPT_VARIANT) {
    for (int64_t i = 0; i < tfckpt_tensor_num_elements(t); i++) {
      const uint8_t *s;
      size_t len;
      tfckpt_tensor_get_string(t, i, &s, &len);
      uint8_t l8[8];
      for (int k = 0; k < 8; k++) l8[k] = (uint8_t)((uint64_t)len >> (8 * k));
      sha256_update(&ctx, 8, l8);
      sha256_update(&ctx, len, s);
    }
  } else if (tfckpt_tensor_nbytes(t)) {
    /* host order is little-endian on every platform this builds for */
    sha256_update(&ctx, tfckpt_tensor_nbytes(t), tfckpt_tensor_data(t));
  }
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof digest, digest);
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) sprintf(hex + 2 * i, "%02x", digest[i]);
}

static int cmd_verify(int argc, char **argv) {
  const char *path = NULL;
  int hash = 0, quiet = 0;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_verify, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) path = p.value;
    else if (cli_is(&p, "--hash")) hash = 1;
    else if (cli_is(&p, "--quiet")) quiet = 1;
  }
  if (!path) {
    cli_print_usage(stderr, &cli_cmd_verify);
    return EXIT_USAGE;
  }
  tfckpt_reader *r = cli_open("verify", path);
  if (!r) return EXIT_FAIL;
  int64_t n = tfckpt_reader_num_variables(r), failed = 0;
  double bytes = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cli_progress prog;
  double total = (double)tfckpt_reader_data_bytes(r);
  cli_progress_start(&prog, "verify", total > 256e6 ? total : 0);
  for (int64_t i = 0; i < n; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    if (hash) {
      tfckpt_tensor *t;
      if (tfckpt_reader_get_tensor_at(r, i, &t) != TFCKPT_OK) {
        printf("FAILED  %s: %s\n", v.name, tfckpt_reader_errmsg(r));
        failed++;
        continue;
      }
      char hex[65];
      hash_tensor(t, hex);
      printf("%s  %s\n", hex, v.name);
      tfckpt_tensor_free(t);
    } else if (tfckpt_reader_verify(r, i) != TFCKPT_OK) {
      cli_progress_end(&prog);
      printf("FAILED  %s: %s\n", v.name, tfckpt_reader_errmsg(r));
      failed++;
    }
    bytes += (double)v.nbytes;
    cli_progress_update(&prog, bytes);
  }
  cli_progress_end(&prog);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  char hb[32];
  FILE *sum = hash ? stderr : stdout;
  if (failed)
    fprintf(sum, "%s: %lld of %lld tensors FAILED verification\n", tfckpt_reader_prefix(r),
            (long long)failed, (long long)n);
  else if (!quiet)
    fprintf(sum, "%s: all %lld tensors OK (%s checked in %.3f s, %.2f GB/s)\n",
            tfckpt_reader_prefix(r), (long long)n, cli_bytes_str(hb, sizeof hb, bytes), secs,
            secs > 0 ? bytes / secs / 1e9 : 0.0);
  tfckpt_reader_close(r);
  return failed ? EXIT_FAIL : EXIT_OK;
}

const cli_command cli_cmd_verify = {
    .name = "verify",
    .run = cmd_verify,
    .summary = "check every tensor's CRC32C (or print sha256s)",
    .usage = "CHECKPOINT [--hash] [--quiet]",
    .about = "Reads every tensor and checks its CRC32C (V2 bundles; for legacy V1 files the\n"
             "table block checksums and the decoding of every slice).  Prints a line per\n"
             "failure and a summary; exits 1 if anything fails, 0 otherwise.\n",
    .args = verify_args,
    .groups = {{NULL, verify_opts}},
};
