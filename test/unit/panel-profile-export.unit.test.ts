// The Timings tab's exports, from a profile recorded by the CLI (test/webview/*.profile.json):
// the CSV holds every layer and head-range row with the report's numbers, the trace is the CLI's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILE_CSV_HEADER, profileCsv, profileTraceJson } from '../../extension/panel/profileExport';
import type { PanelProfile } from '../../extension/protocol/analyses';
import { traceProblems } from '../../runtime/profile/chromeTrace';

const { profile } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'webview', 'gqa-decoder-contrib.profile.json'), 'utf8')) as { profile: PanelProfile };

test('profile CSV: a row per configuration and layer, then its head ranges, with the report numbers', () => {
  const lines = profileCsv(profile).trimEnd().split('\n');
  assert.equal(lines[0], PROFILE_CSV_HEADER.join(','));
  const rows = lines.slice(1).map((l) => l.split(','));
  const want = profile.report.configs.flatMap((c) => c.layers.flatMap((l) => [
    [c.label, c.variant, c.backend, String(c.threads), String(l.layer), `0-${l.heads - 1}`, String(l.kernelMs.median), String(l.kernelMs.mad), String(l.kernelMs.min), String(l.kernelMs.max), String(l.gflops), String(l.pctPeak ?? ''), String(l.ortBeforeMs?.median ?? ''), String(l.ortAfterMs?.median ?? '')],
    ...l.ranges.map((r) => [c.label, c.variant, c.backend, String(c.threads), String(l.layer), `${r.from}-${r.to - 1}`, String(r.kernelMs.median), String(r.kernelMs.mad), String(r.kernelMs.min), String(r.kernelMs.max), String(r.gflops), String(r.pctPeak ?? ''), '', '']),
  ]));
  assert.deepEqual(rows, want);
  assert.equal(rows.length, 4 * 2 * 3, '4 configurations × 2 layers × (layer + 2 head ranges)');
});

test('profile trace export is the recorded Chrome trace; a profile without one says so', () => {
  const text = profileTraceJson(profile);
  assert.deepEqual(JSON.parse(text), profile.trace);
  assert.deepEqual(traceProblems(JSON.parse(text)), []);
  assert.throws(() => profileTraceJson({ ...profile, trace: null }), /kept no trace; run Profile again/);
});
