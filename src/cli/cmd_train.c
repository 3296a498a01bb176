/* tfckpt train: train an MLP on CSV/TXT/LibSVM files into TF checkpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_data_opts.h"
#include "cli/cli_nn.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/model.h"

static const char *CMD = "train";

static const cli_opt train_data_opts[] = {
    {"--data", NULL, "FILE", "training file or glob", CLI_OPT_REPEAT},
    {"--label", NULL, "COL",
     "label column: name or index, -1 = last (default: the format's default, e.g. "
     "sklearn's last column)", 0},
    {"--validation-split", NULL, "F", "hold out fraction F of the rows (random, seeded)", 0},
    {"--validation-data", NULL, "FILE", "validation file", CLI_OPT_REPEAT},
    {"--no-normalize", NULL, NULL, "do not standardise the features", 0},
    {0},
};

static const cli_opt train_model_opts[] = {
    {"--layers", NULL, "N,N,...", "hidden layer widths (default 64,64; 0 or '' = none)", 0},
    {"--activation", NULL, "A", "relu|leaky_relu|sigmoid|tanh|softmax|identity (default relu)", 0},
    {"--leaky-alpha", NULL, "A", "leaky relu slope (default 0.2)", 0},
    {"--dropout", NULL, "R", "dropout rate after each hidden layer (default 0)", 0},
    {"--init", NULL, "I", "glorot_uniform|glorot_normal|he_normal|zeros", 0},
    {"--no-bias", NULL, NULL, "dense layers without bias", 0},
    {"--loss", NULL, "L", "softmax_ce|sigmoid_ce|mse (default softmax_ce)", 0},
    {"--l2", NULL, "X", "L2 weight decay: X * sum(kernel^2) (default 0)", 0},
    {0},
};

static const cli_opt train_optimizer_opts[] = {
    {"--optimizer", NULL, "O", "sgd|momentum|adam (default adam)", 0},
    {"--lr", "--learning-rate", "X", "learning rate (default 0.001 adam, 0.01 otherwise)", 0},
    {"--momentum", NULL, "X", "momentum (default 0.9)", 0},
    {"--nesterov", NULL, NULL, "Nesterov momentum", 0},
    {"--beta1", NULL, "X", "Adam beta1 (default 0.9)", 0},
    {"--beta2", NULL, "X", "Adam beta2 (default 0.999)", 0},
    {"--epsilon", NULL, "X", "Adam epsilon (default 1e-8)", 0},
    {"--lr-schedule", NULL, "S", "constant|exponential|step (default constant)", 0},
    {"--decay-rate", NULL, "X", "exponential/step: lr * X^(step/decay_steps) (default 0.96)", 0},
    {"--decay-steps", NULL, "N", "decay steps (default 1000)", 0},
    {"--staircase", NULL, NULL, "floor the decay exponent", 0},
    {"--boundaries", NULL, "B,...", "step: piecewise constant boundaries (steps)", 0},
    {"--values", NULL, "V,...", "step: one more value than boundaries", 0},
    {0},
};

static const cli_opt train_training_opts[] = {
    {"--epochs", NULL, "N", "passes over the training data (default 10)", 0},
    {"--batch-size", NULL, "N", "rows per iteration (default 32)", 0},
    {"--shuffle-buffer", NULL, "N", "rows in the shuffle buffer (default 10000; 0 = none)", 0},
    {"--seed", NULL, "N", "initialisation/shuffling/dropout seed (default 42)", 0},
    {"--patience", NULL, "N",
     "early stopping: stop after N epochs without improvement of val loss, restore the "
     "best weights", 0},
    {"--min-delta", NULL, "X", "improvement needed (default 0)", 0},
    {0},
};

static const cli_opt train_output_opts[] = {
    {"--out", "-o", "DIR", "model directory (required)", 0},
    {"--save-every", NULL, "N", "checkpoint every N iterations (default: at the end)", 0},
    {"--keep", NULL, "K", "checkpoints kept (default 5)", 0},
    {"--resume", NULL, NULL, "continue from DIR's latest checkpoint", 0},
    {"--logdir", NULL, "DIR", "TensorBoard event files (scalars per step)", 0},
    CLI_OPT_QUIET("no per-epoch lines"),
    {0},
};

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

static int train(int argc, char **argv, char **na) {
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
  double min_delta = 0, lr = 0, momentum = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, decay_rate = 0.96;
  long long decay_steps = 1000;
  int schedule = TFCKPT_LR_CONSTANT, staircase = 0, nesterov = 0, nb = -1, nv = -1;
  int64_t boundaries[TFCKPT_LR_MAX_BOUNDARIES];
  double values[TFCKPT_LR_MAX_BOUNDARIES + 2];
  view vw = {0, 0, 0};

  cli_parser p;
  cli_parser_init(&p, &cli_cmd_train, argc, argv);
  for (int got; (got = cli_next(&p)) != CLI_END;) {
    if (got == CLI_HELP) return EXIT_OK;
    if (got == CLI_ERROR) return EXIT_USAGE;
    int d = cli_data_format_apply(&p, &dopt, na);
    if (d < 0) return EXIT_USAGE;
    if (d) continue;
    const char *v = p.value;
    long long n;
    if (cli_is(&p, "--data") || cli_is(&p, "--validation-data")) {
      if (cli_nn_add_path(&p, cli_is(&p, "--data") ? &data : &val)) return EXIT_USAGE;
    } else if (cli_is(&p, "--label")) {
      to.label = v;
    } else if (cli_is(&p, "--validation-split")) {
      if (cli_value_double(&p, &to.validation_split)) return EXIT_USAGE;
      if (!(to.validation_split >= 0 && to.validation_split < 1))
        return cli_error(CMD, "--validation-split must be in [0, 1)"), EXIT_USAGE;
    } else if (cli_is(&p, "--no-normalize")) {
      to.normalize = 0;
    } else if (cli_is(&p, "--layers")) {
      nhidden = !strcmp(v, "0") || !*v ? 0 : cli_nn_parse_sizes(v, hidden, 64);
      if (nhidden < 0) return cli_error(CMD, "--layers: expected widths like 64,64"), EXIT_USAGE;
    } else if (cli_is(&p, "--activation")) {
      spec.activation = tfckpt_activation_from_name(v);
      if (spec.activation < 0) return cli_error(CMD, "unknown activation \"%s\"", v), EXIT_USAGE;
    } else if (cli_is(&p, "--init")) {
      spec.init = tfckpt_init_from_name(v);
      if (spec.init < 0) return cli_error(CMD, "unknown initializer \"%s\"", v), EXIT_USAGE;
    } else if (cli_is(&p, "--no-bias")) {
      spec.use_bias = 0;
    } else if (cli_is(&p, "--loss")) {
      spec.loss = tfckpt_loss_from_name(v);
      if (spec.loss < 0) return cli_error(CMD, "unknown loss \"%s\"", v), EXIT_USAGE;
    } else if (cli_is(&p, "--optimizer")) {
      opt_kind = tfckpt_optimizer_from_name(v);
      if (opt_kind < 0) return cli_error(CMD, "unknown optimizer \"%s\"", v), EXIT_USAGE;
    } else if (cli_is(&p, "--nesterov")) {
      nesterov = 1;
    } else if (cli_is(&p, "--lr-schedule")) {
      schedule = tfckpt_schedule_from_name(v);
      if (schedule < 0) return cli_error(CMD, "unknown schedule \"%s\"", v), EXIT_USAGE;
    } else if (cli_is(&p, "--decay-steps")) {
      if (cli_value_int(&p, 1, CLI_NO_MAX, &decay_steps)) return EXIT_USAGE;
    } else if (cli_is(&p, "--staircase")) {
      staircase = 1;
    } else if (cli_is(&p, "--boundaries")) {
      size_t tmp[TFCKPT_LR_MAX_BOUNDARIES];
      nb = cli_nn_parse_sizes(v, tmp, TFCKPT_LR_MAX_BOUNDARIES);
      if (nb <= 0) return cli_error(CMD, "--boundaries: expected steps like 1000,2000"), EXIT_USAGE;
      for (int k = 0; k < nb; k++) boundaries[k] = (int64_t)tmp[k];
    } else if (cli_is(&p, "--values")) {
      nv = 0;
      char *s = (char *)v, *end;
      while (s && *s && nv < TFCKPT_LR_MAX_BOUNDARIES + 2) {
        values[nv++] = strtod(s, &end);
        if (end == s) return cli_error(CMD, "--values: expected numbers like 0.1,0.01"), EXIT_USAGE;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return cli_error(CMD, "--values: expected numbers like 0.1,0.01"), EXIT_USAGE;
      }
    } else if (cli_is(&p, "--batch-size")) {
      if (cli_value_int(&p, 1, CLI_NO_MAX, &n)) return EXIT_USAGE;
      to.batch_size = (size_t)n;
    } else if (cli_is(&p, "--out")) {
      to.out_dir = v;
    } else if (cli_is(&p, "--resume")) {
      to.resume = 1;
    } else if (cli_is(&p, "--logdir")) {
      to.logdir = v;
    } else if (cli_is(&p, "--quiet")) {
      vw.quiet = 1;
    } else if (cli_is(&p, "--epochs") || cli_is(&p, "--shuffle-buffer") || cli_is(&p, "--seed") ||
               cli_is(&p, "--patience") || cli_is(&p, "--save-every") || cli_is(&p, "--keep")) {
      if (cli_value_int(&p, 0, cli_is(&p, "--patience") || cli_is(&p, "--keep") ? INT_MAX : CLI_NO_MAX, &n))
        return EXIT_USAGE;
      if (cli_is(&p, "--epochs")) to.epochs = (uint64_t)n;
      else if (cli_is(&p, "--shuffle-buffer")) to.shuffle_buffer = (size_t)n;
      else if (cli_is(&p, "--seed")) to.seed = (uint64_t)n;
      else if (cli_is(&p, "--patience")) to.patience = (int)n;
      else if (cli_is(&p, "--save-every")) to.save_every = n;
      else to.keep = (int)n;
    } else {
      /* the remaining numbers */
      double *x = cli_is(&p, "--leaky-alpha") ? &spec.leaky_alpha
                  : cli_is(&p, "--dropout")   ? &spec.dropout
                  : cli_is(&p, "--l2")        ? &spec.l2
                  : cli_is(&p, "--lr")        ? &lr
                  : cli_is(&p, "--momentum")  ? &momentum
                  : cli_is(&p, "--beta1")     ? &beta1
                  : cli_is(&p, "--beta2")     ? &beta2
                  : cli_is(&p, "--epsilon")   ? &eps
                  : cli_is(&p, "--decay-rate") ? &decay_rate
                  : cli_is(&p, "--min-delta") ? &min_delta
                                              : NULL;
      if (!x || cli_value_double(&p, x)) return EXIT_USAGE;
      if (x == &lr) have_lr = 1;
    }
  }
  if (!data.n) return cli_error(CMD, "--data is required"), EXIT_USAGE;
  if (!to.out_dir) return cli_error(CMD, "--out is required"), EXIT_USAGE;
  if (schedule == TFCKPT_LR_STEP && (nb > 0) != (nv > 0))
    return cli_error(CMD, "--boundaries and --values go together"), EXIT_USAGE;
  if (nb > 0 && nv != nb + 1)
    return cli_error(CMD, "--values needs one more value than --boundaries (%d)", nb), EXIT_USAGE;

  to.min_delta = min_delta;
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

/* The --na-value buffer outlives every early return of train(). */
static int cmd_train(int argc, char **argv) {
  char *na = NULL;
  int rc = train(argc, argv, &na);
  free(na);
  return rc;
}

const cli_command cli_cmd_train = {
    .name = "train",
    .run = cmd_train,
    .summary = "train an MLP on CSV/TXT/LibSVM data into TF checkpoints",
    .usage = "--data FILE --out DIR [options]",
    .about = "Trains a multi-layer perceptron by mini-batch gradient descent and writes\n"
             "TensorFlow checkpoints (dense/kernel, dense/bias, ..., global_step) and\n"
             "model.json to DIR.\n",
    .groups = {{"data:", train_data_opts},
               {CLI_DATA_FORMAT_TITLE, cli_data_format_opts},
               {"model:", train_model_opts},
               {"optimizer:", train_optimizer_opts},
               {"training:", train_training_opts},
               {"output:", train_output_opts}},
};
