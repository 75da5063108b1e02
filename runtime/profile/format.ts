import { fmt, table } from '../analysis/format/table';
import type { ConfigProfile, LayerProfile } from './aggregate';
import type { Spread } from './stats';
import { RANK_ORDER } from './timeline';

/** Everything `attnscope profile` reports (also its --json output). */
export interface ProfileReport {
  model: string;
  tokens: number;
  repeat: number;
  warmup: number;
  clock: string;
  peak: { threads: number; gflops: number | null; note: string }[];
  configs: ConfigProfile[];
  trace: { path: string; slices: number; keptSlices: number; capped: boolean; bytes: number } | null;
  /** Head ranges timed as separate calls per core (1: none; the overhead figure then includes them). */
  headRanges: number;
}

const ms = (s: Spread | null): string => (s ? `${fmt(s.median)} ±${fmt(s.mad)}` : '');
const range = (s: Spread): string => `${fmt(s.min)}-${fmt(s.max)}`;

const pct = (x: number | null): string => (x === null ? '' : `${(100 * x).toFixed(1)}%`);
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

/** A layer's row, then one row per head range timed on its own (--head-ranges). */
function layerRows(l: LayerProfile): (string | number)[][] {
  return [
    [`L${l.layer}`, `0-${l.heads - 1}`, ms(l.kernelMs), range(l.kernelMs), ms(l.callMs), fmt(l.flops / 1e6), fmt(l.bytes / 1e6),
      fmt(l.gflops), pct(l.pctPeak), ms(l.ortBeforeMs), ms(l.ortAfterMs)],
    ...l.ranges.map((r) => ['', `${r.from}-${r.to - 1}`, ms(r.kernelMs), range(r.kernelMs), ms(r.callMs), fmt(r.flops / 1e6), fmt(r.bytes / 1e6),
      fmt(r.gflops), pct(r.pctPeak), '', '']),
  ];
}

/** The readable report: per configuration a per-layer table, then the totals of all configurations by cost. */
export function formatProfile(r: ProfileReport): string {
  const out: string[] = [];
  out.push(`attnscope profile: ${r.model}, ${r.tokens} tokens, ${r.repeat} measured run${r.repeat > 1 ? 's' : ''} per configuration after ${r.warmup} warm-up`);
  out.push(`clock: ${r.clock}`);
  out.push(`FMA peak: ${r.peak.map((p) => (p.gflops === null ? p.note : `${fmt(p.gflops)} GFLOP/s (${p.note})`)).join('; ')}`);
  for (const c of r.configs) {
    out.push('', `== ${c.label}`);
    out.push(table(
      ['layer', 'heads', 'kernel ms ±MAD', 'min-max', 'call ms', 'MFLOP', 'MB', 'GFLOP/s', '% peak', 'ORT before ms', 'ORT after ms'],
      c.layers.flatMap(layerRows),
    ));
    const agree = Math.abs(c.kernelOverCall - 1) <= 0.1;
    const rest = c.beforeKernelMs && c.afterKernelMs
      ? `; outside the kernels' clock: ${fmt(c.beforeKernelMs.median)} ms from call to kernel start (argument checks, output buffers, descriptor), ${fmt(c.afterKernelMs.median)} ms from kernel end to call end`
      : '';
    out.push(`kernels per run: ${fmt(c.kernelSumMs.median)} ms by the kernels' clock, ${fmt(c.callSumMs.median)} ms measured around the calls (${(100 * c.kernelOverCall).toFixed(1)}%, ${agree ? 'within' : 'NOT within'} 10%)${rest}`);
    out.push(`run: ${fmt(c.profiledRunMs.median)} ms profiled, ${fmt(c.plainRunMs.median)} ms plain (profiling overhead ${signed(c.overhead)}); ORT segments ${fmt(c.ortSumMs.median)} ms`);
    out.push(`profiling overhead: ${signed(c.overheadCpu)} CPU time (${fmt(c.profiledCpuMs.median)} against ${fmt(c.plainCpuMs.median)} ms, medians), ${signed(c.overheadMin)} wall time min of ${c.plainRunMs.samples} (${fmt(c.profiledRunMs.min)} against ${fmt(c.plainRunMs.min)} ms)`);
  }
  if (r.headRanges > 1) out.push('', `note: --head-ranges ${r.headRanges} adds a kernel call per range to every profiled run, so the overhead figures include them`);
  const byCost = [...r.configs].sort((a, b) => b.kernelSumMs.median - a.kernelSumMs.median);
  out.push('', 'configurations by kernel cost (median per run):');
  out.push(table(['configuration', 'kernels ms', 'ORT ms', 'run ms', 'overhead'], byCost.map((c) => [
    c.label, fmt(c.kernelSumMs.median), fmt(c.ortSumMs.median), fmt(c.profiledRunMs.median), `${(100 * c.overhead).toFixed(1)}%`,
  ])));
  if (r.trace) {
    out.push('', `trace: ${r.trace.path} (${r.trace.keptSlices} slices, ${(r.trace.bytes / 1e6).toFixed(2)} MB)${r.trace.capped ? `; CAPPED: ${r.trace.slices - r.trace.keptSlices} of ${r.trace.slices} slices dropped (kept: ${RANK_ORDER}); raise --trace-events to keep them` : ''}`);
  }
  return out.join('\n');
}
