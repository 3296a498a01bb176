#!/bin/bash
# tfckpt train / evaluate / predict through the CLI: outputs, exit codes,
# error messages, resume, and that `tfckpt ls` shows TensorFlow's names.
set -u
BIN=${TFCKPT_BIN:-tfckpt}
SK=/usr/lib/python3/dist-packages/sklearn/datasets/data
if [ ! -f "$SK/iris.csv" ]; then echo "SKIP: no sklearn data"; exit 0; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/tfckpt-cli-train-XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
check() { # description, command...
  local d=$1; shift
  if ! "$@"; then echo "FAIL: $d"; fail=1; fi
}
contains() { grep -q -- "$2" <<<"$1"; }

# Training: one line per epoch, the checkpoint and model.json in --out.
out=$("$BIN" train --data "$SK/iris.csv" --layers 16 --epochs 5 --batch-size 8 --lr 0.01 \
      --validation-data "$SK/iris.csv" --save-every 20 --keep 2 --out "$T/m" --logdir "$T/logs" 2>&1)
rc=$?
check "train exit 0 ($out)" test $rc -eq 0
check "epoch lines" test "$(grep -c '^epoch [0-9]/5: loss .* accuracy .* val_loss .* val_accuracy .* samples/s' <<<"$out")" -eq 5
check "start line" contains "$out" "150 training rows, 0 validation rows; 5 epochs x 19 iterations"
check "saved line" contains "$out" "saved $T/m/model.ckpt-95 (global_step 95)"
check "model.json" test -f "$T/m/model.json"
check "state file" contains "$(cat "$T/m/checkpoint")" 'model_checkpoint_path: "model.ckpt-95"'
check "keep 2" test ! -e "$T/m/model.ckpt-60.index" -a -e "$T/m/model.ckpt-80.index"
check "event file" test -n "$(ls "$T/logs" | grep '^events.out.tfevents.')"

# tfckpt ls shows the names TensorFlow gives the same model.
ls_out=$("$BIN" ls "$T/m")
for v in dense/kernel dense/bias dense_1/kernel dense/kernel/Adam dense/kernel/Adam_1 beta1_power beta2_power global_step; do
  check "ls shows $v" grep -q "^$v  *" <<<"$ls_out"
done
check "kernel shape" grep -q '^dense/kernel  *float32  *\[4, 16\]' <<<"$ls_out"
check "global_step int64" grep -q '^global_step  *int64' <<<"$ls_out"

# evaluate --json: rows, loss, accuracy
j=$("$BIN" evaluate --model "$T/m" --data "$SK/iris.csv" --json)
check "evaluate rc" test $? -eq 0
check "evaluate json ($j)" /usr/bin/python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['rows']==150 and d['accuracy']>0.8 and 0<d['loss']<1 and d['global_step']==95" "$j"
txt=$("$BIN" evaluate --model "$T/m" --data "$SK/iris.csv")
check "evaluate text" contains "$txt" "accuracy"

# predict: header, one row per input row, probabilities summing to 1;
# also on a file without the label column.
check "predict rc" "$BIN" predict --model "$T/m" --data "$SK/iris.csv" -o "$T/p.csv" 2>/dev/null
check "predict header" test "$(head -1 "$T/p.csv")" = "class,class_name,prob_setosa,prob_versicolor,prob_virginica"
check "predict rows" test "$(wc -l <"$T/p.csv")" -eq 151
check "predict probs" /usr/bin/python3 -c "
import csv; r=list(csv.DictReader(open('$T/p.csv')))
assert all(abs(sum(float(x[k]) for k in x if k.startswith('prob_'))-1)<1e-4 for x in r)
assert r[0]['class']=='0' and r[0]['class_name']=='setosa' and r[-1]['class_name']=='virginica'"
printf 'a,b,c,d\n5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n' >"$T/new.csv"
p=$("$BIN" predict --model "$T/m" --data "$T/new.csv")
check "predict unlabelled ($p)" test "$(sed -n 2p <<<"$p" | cut -d, -f2),$(sed -n 3p <<<"$p" | cut -d, -f2)" = "setosa,virginica"

# resume: refuses without --resume, continues with it
err=$("$BIN" train --data "$SK/iris.csv" --out "$T/m" --epochs 6 2>&1)
check "no resume exit 1" test $? -eq 1
check "no resume message" contains "$err" "tfckpt train: $T/m already holds a checkpoint: pass --resume"
out=$("$BIN" train --data "$SK/iris.csv" --out "$T/m" --epochs 6 --resume 2>&1)
check "resume rc ($out)" test $? -eq 0
check "resume start" contains "$out" "resuming: .* (global_step 95)"
check "resume one epoch" test "$(grep -c '^epoch' <<<"$out")" -eq 1
check "resume saved" contains "$out" "model.ckpt-114 (global_step 114)"

# same seed, 1 or 2 parser (and BLAS) threads: bit-identical checkpoints
for th in 1 2; do
  "$BIN" train --data "$SK/breast_cancer.csv" --layers 16,8 --dropout 0.2 --epochs 3 --batch-size 16 \
    --shuffle-buffer 100 --validation-split 0.15 --threads $th --out "$T/th$th" --quiet
  check "train --threads $th" test $? -eq 0
done
for f in "$T"/th1/model.ckpt-*.index "$T"/th1/model.ckpt-*.data-*; do
  check "threads: $(basename "$f") identical" cmp -s "$f" "$T/th2/$(basename "$f")"
done

# regression: mse + mae on breast cancer's first feature... use wine label as target
"$BIN" train --data "$SK/wine_data.csv" --loss mse --layers 8 --epochs 3 --optimizer momentum --nesterov \
  --lr-schedule exponential --decay-steps 10 --decay-rate 0.5 --out "$T/r" --quiet
check "mse train" test $? -eq 0
j=$("$BIN" evaluate --model "$T/r" --data "$SK/wine_data.csv" --json)
check "mse json ($j)" /usr/bin/python3 -c "
import json,sys; d=json.loads(sys.argv[1]); assert d['rows']==178 and 'mae' in d and d['loss_name']=='mse'" "$j"
check "mse schedule in json" grep -q '"schedule": "exponential"' "$T/r/model.json"

# usage errors exit 2, data errors exit 1
"$BIN" train --data "$SK/iris.csv" 2>"$T/e"; check "no --out exit 2" test $? -eq 2
check "no --out message" grep -q "tfckpt train: --out is required" "$T/e"
"$BIN" train --data "$SK/iris.csv" --out "$T/x" --activation swish 2>"$T/e"; check "bad activation exit 2" test $? -eq 2
check "bad activation message" grep -q 'unknown activation "swish"' "$T/e"
"$BIN" train --data "$SK/iris.csv" --out "$T/x" --lr-schedule step --boundaries 10,20 --values 1,2 2>"$T/e"
check "boundaries exit 2" test $? -eq 2
check "boundaries message" grep -q "one more value than --boundaries" "$T/e"
"$BIN" train --data "$T/missing.csv" --out "$T/x" 2>"$T/e"; check "missing data exit 1" test $? -eq 1
check "missing data message" grep -q "missing.csv" "$T/e"
"$BIN" evaluate --model "$T/nomodel" --data "$SK/iris.csv" 2>"$T/e"; check "missing model exit 1" test $? -eq 1
check "missing model message" grep -q "model.json" "$T/e"
"$BIN" predict --model "$T/m" --data "$SK/wine_data.csv" -o "$T/bad.csv" 2>"$T/e"
check "predict wrong width exit 1" test $? -eq 1
check "predict wrong width message" grep -q "the model expects 4" "$T/e"
check "no partial output" test ! -e "$T/bad.csv"
check "help" "$BIN" train --help >/dev/null

if [ $fail -ne 0 ]; then echo "cli_train: FAILED"; exit 1; fi
echo "cli_train: all checks passed"
