import type * as ort from 'onnxruntime-node';

export interface TopToken {
  id: number;
  prob: number;
}

/** The k most likely next tokens after the last prompt position (softmax of its logits). */
export function nextTokenTopk(logits: ort.Tensor, k: number): TopToken[] {
  const [, T, V] = logits.dims.map(Number);
  const row = (logits.data as Float32Array).subarray((T - 1) * V, T * V);
  const lse = logSumExp(row);
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => row[b] - row[a]).slice(0, k);
  return order.map((id) => ({ id, prob: Math.exp(row[id] - lse) }));
}

/** Mean next-token negative log-likelihood over the prompt (nats): −log p(ids[t+1] | ids[..t]). */
export function meanNextTokenLoss(logits: ort.Tensor, ids: number[]): number | null {
  const [, T, V] = logits.dims.map(Number);
  if (T < 2) return null;
  const data = logits.data as Float32Array;
  let sum = 0;
  for (let t = 0; t < T - 1; t++) {
    const row = data.subarray(t * V, (t + 1) * V);
    sum += logSumExp(row) - row[ids[t + 1]];
  }
  return sum / (T - 1);
}

function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  let s = 0;
  for (const x of row) s += Math.exp(x - max);
  return max + Math.log(s);
}
