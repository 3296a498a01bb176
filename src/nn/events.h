/* TensorBoard event files: scalars per step, framed as TFRecords. */
#ifndef TFCKPT_NN_EVENTS_H
#define TFCKPT_NN_EVENTS_H

#include <stdint.h>

#include "tfckpt/internal/error.h"

typedef struct nn_events nn_events;

/* Creates `logdir` (and parents) and the file
 * events.out.tfevents.<10-digit seconds>.<hostname> in it, starting with the
 * file_version event. */
int nn_events_open(const char *logdir, nn_events **out, tfckpt__err *err);
int nn_events_scalar(nn_events *ev, int64_t step, const char *tag, double value, tfckpt__err *err);
int nn_events_flush(nn_events *ev, tfckpt__err *err);
const char *nn_events_path(const nn_events *ev);
void nn_events_close(nn_events *ev);

/* mkdir -p; 0 or TFCKPT_EIO with a message. */
int nn_mkdirs(const char *path, tfckpt__err *err);

#endif
