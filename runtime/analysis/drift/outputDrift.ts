import { rowDivergence, softmaxRow } from './rowDivergence';

/** Next-token logits of one prompt, [t, vocab] (row t predicts token t + 1). */
export interface LogitRows {
  t: number;
  vocab: number;
  logits: ArrayLike<number>;
}

/** End-to-end drift of run B against baseline A on the same prompt. */
export interface OutputDrift {
  maxAbsDeltaLogit: number;
  meanAbsDeltaLogit: number;
  /** Mean over positions of KL(softmax(A) ‖ softmax(B)) of the next-token distributions. */
  meanNextTokenKl: number;
  /** Share of positions where the arg-max token agrees. */
  top1Agreement: number;
  /** Mean cross-entropy (nats) of predicting tokens 1..t−1, for A and for B (NaN when t < 2). */
  lossA: number;
  lossB: number;
  deltaLoss: number;
  /** [t − 1] per-token loss of B minus A: token t + 1 predicted from row t. */
  deltaTokenLoss: Float64Array;
}

/** Per-position cross-entropy (nats) of predicting ids[t + 1] from row t, [t − 1]. */
export function tokenLoss(run: LogitRows, ids: ArrayLike<number>): Float64Array {
  if (ids.length !== run.t) throw new Error(`token loss: ${ids.length} token ids for ${run.t} logit rows; pass the prompt's ids`);
  const out = new Float64Array(Math.max(run.t - 1, 0));
  const p = new Float64Array(run.vocab);
  for (let t = 0; t + 1 < run.t; t++) out[t] = rowLoss(run, t, ids[t + 1], p);
  return out;
}

/** Cross-entropy (nats) of `target` under the next-token distribution of logit row `row` (`scratch`: vocab floats). */
export function rowLoss(run: LogitRows, row: number, target: number, scratch = new Float64Array(run.vocab)): number {
  checkTarget(target, row + 1, run.vocab);
  const p = softmaxRow(run.logits, row * run.vocab, run.vocab, scratch);
  return -Math.log(Math.max(p[target], Number.MIN_VALUE));
}

export function outputDrift(a: LogitRows, b: LogitRows, ids: ArrayLike<number>): OutputDrift {
  if (a.t !== b.t || a.vocab !== b.vocab) throw new Error(`output drift: logits differ in shape (${a.t}×${a.vocab} vs ${b.t}×${b.vocab}); compare runs of the same prompt and vocabulary`);
  const { t, vocab } = a;
  if (ids.length !== t) throw new Error(`output drift: ${ids.length} token ids for ${t} logit rows; pass the prompt's ids`);
  let maxAbs = 0;
  let sumAbs = 0;
  let kl = 0;
  let agree = 0;
  const la = new Float64Array(Math.max(t - 1, 0));
  const lb = new Float64Array(Math.max(t - 1, 0));
  const pa = new Float64Array(vocab);
  const pb = new Float64Array(vocab);
  for (let r = 0; r < t; r++) {
    let argA = 0;
    let argB = 0;
    for (let c = 0; c < vocab; c++) {
      const x = r * vocab + c;
      const d = Math.abs(a.logits[x] - b.logits[x]);
      maxAbs = Math.max(maxAbs, d);
      sumAbs += d;
      if (a.logits[x] > a.logits[r * vocab + argA]) argA = c;
      if (b.logits[x] > b.logits[r * vocab + argB]) argB = c;
    }
    if (argA === argB) agree++;
    softmaxRow(a.logits, r * vocab, vocab, pa);
    softmaxRow(b.logits, r * vocab, vocab, pb);
    kl += rowDivergence(pa, pb, 'kl');
    if (r + 1 < t) {
      const target = checkTarget(ids[r + 1], r + 1, vocab);
      la[r] = -Math.log(Math.max(pa[target], Number.MIN_VALUE));
      lb[r] = -Math.log(Math.max(pb[target], Number.MIN_VALUE));
    }
  }
  const deltaTokenLoss = lb.map((x, i) => x - la[i]);
  const lossA = mean(la);
  const lossB = mean(lb);
  return {
    maxAbsDeltaLogit: maxAbs, meanAbsDeltaLogit: sumAbs / (t * vocab),
    meanNextTokenKl: kl / t, top1Agreement: agree / t,
    lossA, lossB, deltaLoss: lossB - lossA, deltaTokenLoss,
  };
}

function checkTarget(target: number, position: number, vocab: number): number {
  if (!(target >= 0 && target < vocab)) throw new Error(`token loss: token id ${target} at position ${position} is outside the vocabulary (0..${vocab - 1})`);
  return target;
}

export function mean(x: ArrayLike<number>): number {
  if (!x.length) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}
