/* tfckpt train: train an MLP on CSV/TXT/LibSVM files into TF checkpoints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_nn.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/model.h"

static const char *CMD = "train";

static void usage(FILE *out) {
  fprintf(out,
          "usage: tfckpt train --data FILE --out DIR [options]\n"
          "\n"
          "Trains a multi-layer perceptron by mini-batch gradient descent and writes\n"
          "TensorFlow checkpoints (dense/kernel, dense/bias, ..., global_step) and\n"
          "model.json to DIR.\n"
          "\n"
          "data:\n"
          "  --data FILE         training file or glob (repeatable)\n"
          "  --label COL         label column: name or index, -1 = last (default:\n"
          "                      the format's default, e.g. sklearn's last column)\n"
          "  --validation-split F  hold out fraction F of the rows (random, seeded)\n"
          "  --validation-data FILE  validation file (repeatable)\n"
          "  --no-normalize      do not standardise the features\n");
  cli_nn_data_usage(out);
  fprintf(out,
          "model:\n"
          "  --layers N,N,...    hidden layer widths (default 64,64; 0 or '' = none)\n"
          "  --activation A      relu|leaky_relu|sigmoid|tanh|softmax|identity (default relu)\n"
          "  --leaky-alpha A     leaky relu slope (default 0.2)\n"
          "  --dropout R         dropout rate after each hidden layer (default 0)\n"
          "  --init I            glorot_uniform|glorot_normal|he_normal|zeros\n"
          "  --no-bias           dense layers without bias\n"
          "  --loss L            softmax_ce|sigmoid_ce|mse (default softmax_ce)\n"
          "  --l2 X              L2 weight decay: X * sum(kernel^2) (default 0)\n"
          "optimizer:\n"
          "  --optimizer O       sgd|momentum|adam (default adam)\n"
          "  --lr X              learning rate (default 0.001 adam, 0.01 otherwise)\n"
          "  --momentum X        momentum (default 0.9); --nesterov for Nesterov\n"
          "  --beta1 X --beta2 X --epsilon X   Adam (defaults 0.9, 0.999, 1e-8)\n"
          "  --lr-schedule S     constant|exponential|step (default constant)\n"
          "  --decay-rate X      exponential/step: lr * X^(step/decay_steps) (0.96)\n"
          "  --decay-steps N     (default 1000); --staircase floors the exponent\n"
          "  --boundaries B,...  step: piecewise constant boundaries (steps)\n"
          "  --values V,...      step: one more value than boundaries\n"
          "training:\n"
          "  --epochs N          passes over the training data (default 10)\n"
          "  --batch-size N      rows per iteration (default 32)\n"
          "  --shuffle-buffer N  rows in the shuffle buffer (default 10000; 0 = none)\n"
          "  --seed N            initialisation/shuffling/dropout seed (default 42)\n"
          "  --patience N        early stopping: stop after N epochs without\n"
          "                      improvement of val loss, restore the best weights\n"
          "  --min-delta X       improvement needed (default 0)\n"
          "output:\n"
          "  --out DIR           model directory (required)\n"
          "  --save-every N      checkpoint every N iterations (default: at the end)\n"
          "  --keep K            checkpoints kept (default 5)\n"
          "  --resume            continue from DIR's latest checkpoint\n"
          "  --logdir DIR        TensorBoard event files (scalars per step)\n"
          "  --quiet             no per-epoch lines\n");
}

static int parse_double(const char *opt, const char *v, double *out) {
  char *end;
  if (!v) {
    cli_error(CMD, "%s needs a value", opt);
    return -1;
  }
  double d = strtod(v, &end);
  if (end == v || *end || !isfinite(d)) {
    cli_error(CMD, "%s: \"%s\" is not a number", opt, v);
    return -1;
  }
  *out = d;
  return 0;
}

typedef struct {
  int quiet;
  int tty;
  double last_draw;
} view;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int on_progress(const tfckpt_train_progress *p, void *user) {
  view *v = user;
  const char *mn = p->metric_name;
  if (p->kind == TFCKPT_PROGRESS_START) {
    if (v->quiet) return 0;
    printf("%s: %llu training rows, %llu validation rows; %llu epochs x %llu iterations"
           " (global_step %lld)\n",
           p->resumed ? "resuming" : "training", (unsigned long long)p->train_rows,
           (unsigned long long)p->val_rows, (unsigned long long)p->epochs,
           (unsigned long long)p->iterations_per_epoch, (long long)p->global_step);
    fflush(stdout);
  } else if (p->kind == TFCKPT_PROGRESS_ITERATION) {
    if (!v->tty || v->quiet) return 0;
    double t = now();
    if (t - v->last_draw < 0.1 && p->iteration_in_epoch < p->iterations_per_epoch) return 0;
    v->last_draw = t;
    int width = 24;
    double frac = p->iterations_per_epoch ? (double)p->iteration_in_epoch / (double)p->iterations_per_epoch : 0;
    int filled = (int)(frac * width);
    fprintf(stderr, "\repoch %llu/%llu [", (unsigned long long)p->epoch + 1, (unsigned long long)p->epochs);
    for (int i = 0; i < width; i++) fputc(i < filled ? '#' : '.', stderr);
    fprintf(stderr, "] %llu/%llu loss %.4f %s %.4f ", (unsigned long long)p->iteration_in_epoch,
            (unsigned long long)p->iterations_per_epoch, p->loss, mn, p->metric);
    fflush(stderr);
  } else if (p->kind == TFCKPT_PROGRESS_EPOCH) {
    if (v->tty && !v->quiet) fprintf(stderr, "\r%78s\r", "");
    if (v->quiet) return 0;
    printf("epoch %llu/%llu: loss %.4f %s %.4f", (unsigned long long)p->epoch + 1,
           (unsigned long long)p->epochs, p->loss, mn, p->metric);
    if (p->has_val) printf(" val_loss %.4f val_%s %.4f", p->val_loss, mn, p->val_metric);
    printf(" lr %.3g %.0f samples/s step %lld%s\n", p->lr, p->samples_per_sec,
           (long long)p->global_step, p->stopping ? " (early stop: restoring best weights)" : "");
    fflush(stdout);
  }
  return 0;
}

int cmd_train(int argc, char **argv) {
  tfckpt_train_options to;
  tfckpt_train_options_init(&to);
  tfckpt_mlp_spec spec;
  tfckpt_mlp_spec_init(&spec);
  tfckpt_dataset_options dopt;
  tfckpt_dataset_options_init(&dopt);
  cli_nn_paths data = {{0}, 0}, val = {{0}, 0};
  size_t hidden[64] = {64, 64};
  int nhidden = 2;
  int opt_kind = TFCKPT_OPT_ADAM, have_lr = 0;
  double lr = 0, momentum = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, decay_rate = 0.96;
  long long decay_steps = 1000;
  int schedule = TFCKPT_LR_CONSTANT, staircase = 0, nesterov = 0, nb = -1, nv = -1;
  int64_t boundaries[TFCKPT_LR_MAX_BOUNDARIES];
  double values[TFCKPT_LR_MAX_BOUNDARIES + 2];
  view vw = {0, 0, 0};
  const char *v;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int d = cli_nn_data_option(CMD, argc, argv, &i, &dopt);
    if (d < 0) return EXIT_USAGE;
    if (d) continue;
    double x;
    long long n;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return EXIT_OK;
    } else if (cli_opt_value(argc, argv, &i, "--data", &v) ||
               cli_opt_value(argc, argv, &i, "--validation-data", &v)) {
      cli_nn_paths *p = strncmp(a, "--data", 6) ? &val : &data;
      if (!v) return cli_error(CMD, "%s needs a value", a), EXIT_USAGE;
      if (p->n == 64) return cli_error(CMD, "too many files"), EXIT_USAGE;
      p->v[p->n++] = v;
    } else if (cli_opt_value(argc, argv, &i, "--label", &v)) {
      if (!v) return cli_error(CMD, "--label needs a value"), EXIT_USAGE;
      to.label = v;
    } else if (cli_opt_value(argc, argv, &i, "--validation-split", &v)) {
      if (parse_double(a, v, &to.validation_split)) return EXIT_USAGE;
      if (!(to.validation_split >= 0 && to.validation_split < 1))
        return cli_error(CMD, "--validation-split must be in [0, 1)"), EXIT_USAGE;
    } else if (!strcmp(a, "--no-normalize")) {
      to.normalize = 0;
    } else if (cli_opt_value(argc, argv, &i, "--layers", &v)) {
      nhidden = v && (!strcmp(v, "0") || !*v) ? 0 : cli_nn_parse_sizes(v, hidden, 64);
      if (nhidden < 0) return cli_error(CMD, "--layers: expected widths like 64,64"), EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--activation", &v)) {
      spec.activation = tfckpt_activation_from_name(v);
      if (spec.activation < 0) return cli_error(CMD, "unknown activation \"%s\"", v ? v : ""), EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--leaky-alpha", &v)) {
      if (parse_double(a, v, &spec.leaky_alpha)) return EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--dropout", &v)) {
      if (parse_double(a, v, &spec.dropout)) return EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--init", &v)) {
      spec.init = tfckpt_init_from_name(v);
      if (spec.init < 0) return cli_error(CMD, "unknown initializer \"%s\"", v ? v : ""), EXIT_USAGE;
    } else if (!strcmp(a, "--no-bias")) {
      spec.use_bias = 0;
    } else if (cli_opt_value(argc, argv, &i, "--loss", &v)) {
      spec.loss = tfckpt_loss_from_name(v);
      if (spec.loss < 0) return cli_error(CMD, "unknown loss \"%s\"", v ? v : ""), EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--l2", &v)) {
      if (parse_double(a, v, &spec.l2)) return EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--optimizer", &v)) {
      opt_kind = tfckpt_optimizer_from_name(v);
      if (opt_kind < 0) return cli_error(CMD, "unknown optimizer \"%s\"", v ? v : ""), EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--lr", &v) ||
               cli_opt_value(argc, argv, &i, "--learning-rate", &v)) {
      if (parse_double(a, v, &lr)) return EXIT_USAGE;
      have_lr = 1;
    } else if (cli_opt_value(argc, argv, &i, "--momentum", &v)) {
      if (parse_double(a, v, &momentum)) return EXIT_USAGE;
    } else if (!strcmp(a, "--nesterov")) {
      nesterov = 1;
    } else if (cli_opt_value(argc, argv, &i, "--beta1", &v)) {
      if (parse_double(a, v, &beta1)) return EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--beta2", &v)) {
      if (parse_double(a, v, &beta2)) return EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--epsilon", &v)) {
      if (parse_double(a, v, &eps)) return EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--lr-schedule", &v)) {
      schedule = tfckpt_schedule_from_name(v);
      if (schedule < 0) return cli_error(CMD, "unknown schedule \"%s\"", v ? v : ""), EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--decay-rate", &v)) {
      if (parse_double(a, v, &decay_rate)) return EXIT_USAGE;
    } else if (cli_opt_value(argc, argv, &i, "--decay-steps", &v)) {
      if ((decay_steps = cli_parse_count(CMD, a, v)) <= 0)
        return decay_steps == 0 ? (cli_error(CMD, "--decay-steps must be > 0"), EXIT_USAGE) : EXIT_USAGE;
    } else if (!strcmp(a, "--staircase")) {
      staircase = 1;
    } else if (cli_opt_value(argc, argv, &i, "--boundaries", &v)) {
      size_t tmp[TFCKPT_LR_MAX_BOUNDARIES];
      nb = cli_nn_parse_sizes(v, tmp, TFCKPT_LR_MAX_BOUNDARIES);
      if (nb <= 0) return cli_error(CMD, "--boundaries: expected steps like 1000,2000"), EXIT_USAGE;
      for (int k = 0; k < nb; k++) boundaries[k] = (int64_t)tmp[k];
    } else if (cli_opt_value(argc, argv, &i, "--values", &v)) {
      nv = 0;
      char *s = (char *)v, *end;
      while (s && *s && nv < TFCKPT_LR_MAX_BOUNDARIES + 2) {
        values[nv++] = strtod(s, &end);
        if (end == s) return cli_error(CMD, "--values: expected numbers like 0.1,0.01"), EXIT_USAGE;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return cli_error(CMD, "--values: expected numbers like 0.1,0.01"), EXIT_USAGE;
      }
    } else if (cli_opt_value(argc, argv, &i, "--epochs", &v)) {
      if ((n = cli_parse_count(CMD, a, v)) < 0) return EXIT_USAGE;
      to.epochs = (uint64_t)n;
    } else if (cli_opt_value(argc, argv, &i, "--batch-size", &v)) {
      if ((n = cli_parse_count(CMD, a, v)) <= 0)
        return n == 0 ? (cli_error(CMD, "--batch-size must be > 0"), EXIT_USAGE) : EXIT_USAGE;
      to.batch_size = (size_t)n;
    } else if (cli_opt_value(argc, argv, &i, "--shuffle-buffer", &v)) {
      if ((n = cli_parse_count(CMD, a, v)) < 0) return EXIT_USAGE;
      to.shuffle_buffer = (size_t)n;
    } else if (cli_opt_value(argc, argv, &i, "--seed", &v)) {
      if ((n = cli_parse_count(CMD, a, v)) < 0) return EXIT_USAGE;
      to.seed = (uint64_t)n;
    } else if (cli_opt_value(argc, argv, &i, "--patience", &v)) {
      if ((n = cli_parse_count(CMD, a, v)) < 0) return EXIT_USAGE;
      to.patience = (int)n;
    } else if (cli_opt_value(argc, argv, &i, "--min-delta", &v)) {
      if (parse_double(a, v, &x)) return EXIT_USAGE;
      to.min_delta = x;
    } else if (cli_opt_value(argc, argv, &i, "--out", &v) || cli_opt_value(argc, argv, &i, "-o", &v)) {
      if (!v) return cli_error(CMD, "--out needs a value"), EXIT_USAGE;
      to.out_dir = v;
    } else if (cli_opt_value(argc, argv, &i, "--save-every", &v)) {
      if ((n = cli_parse_count(CMD, a, v)) < 0) return EXIT_USAGE;
      to.save_every = n;
    } else if (cli_opt_value(argc, argv, &i, "--keep", &v)) {
      if ((n = cli_parse_count(CMD, a, v)) < 0) return EXIT_USAGE;
      to.keep = (int)n;
    } else if (!strcmp(a, "--resume")) {
      to.resume = 1;
    } else if (cli_opt_value(argc, argv, &i, "--logdir", &v)) {
      if (!v) return cli_error(CMD, "--logdir needs a value"), EXIT_USAGE;
      to.logdir = v;
    } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
      vw.quiet = 1;
    } else {
      cli_error(CMD, "unknown option \"%s\" (see 'tfckpt train --help')", a);
      return EXIT_USAGE;
    }
  }
  if (!data.n) return cli_error(CMD, "--data is required"), EXIT_USAGE;
  if (!to.out_dir) return cli_error(CMD, "--out is required"), EXIT_USAGE;
  if (schedule == TFCKPT_LR_STEP && (nb > 0) != (nv > 0))
    return cli_error(CMD, "--boundaries and --values go together"), EXIT_USAGE;
  if (nb > 0 && nv != nb + 1)
    return cli_error(CMD, "--values needs one more value than --boundaries (%d)", nb), EXIT_USAGE;

  tfckpt_optimizer_config_init(&spec.opt, opt_kind);
  if (have_lr) spec.opt.lr = lr;
  spec.opt.momentum = momentum;
  spec.opt.nesterov = nesterov;
  spec.opt.beta1 = beta1;
  spec.opt.beta2 = beta2;
  spec.opt.epsilon = eps;
  spec.opt.schedule = schedule;
  spec.opt.decay_rate = decay_rate;
  spec.opt.decay_steps = decay_steps;
  spec.opt.staircase = staircase;
  if (schedule == TFCKPT_LR_STEP && nb > 0) {
    spec.opt.nboundaries = nb;
    memcpy(spec.opt.boundaries, boundaries, (size_t)nb * sizeof boundaries[0]);
    memcpy(spec.opt.values, values, (size_t)nv * sizeof values[0]);
  }
  spec.hidden = hidden;
  spec.nhidden = (size_t)nhidden;
  to.paths = data.v;
  to.npaths = data.n;
  to.val_paths = val.v;
  to.nval_paths = val.n;
  to.data = &dopt;
  to.threads = dopt.num_threads;
  tfckpt_nn_set_threads((int)dopt.num_threads);
  vw.tty = isatty(STDERR_FILENO);

  tfckpt_trainer *t;
  int rc = tfckpt_trainer_open(&to, &spec, &t);
  if (!rc) rc = tfckpt_trainer_run(t, on_progress, &vw);
  if (rc) {
    if (vw.tty && !vw.quiet) fprintf(stderr, "\n");
    cli_error(CMD, "%s", tfckpt_trainer_errmsg(t));
    tfckpt_trainer_close(t);
    return EXIT_FAIL;
  }
  if (!vw.quiet)
    printf("saved %s (global_step %lld)\n", tfckpt_trainer_last_checkpoint(t),
           (long long)tfckpt_model_global_step(tfckpt_trainer_model(t)));
  tfckpt_trainer_close(t);
  return EXIT_OK;
}
