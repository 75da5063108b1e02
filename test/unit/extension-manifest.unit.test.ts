// package.json's contributions are checked against the one source of truth in extension/, so a
// command or setting cannot be added, renamed or dropped on one side only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_CATEGORY, COMMANDS, contributedCommands } from '../../extension/commands';
import { configurationProperties, SETTINGS } from '../../extension/settings';
import { overlayColors } from '../../extension/colors';
import { customEditorContributions } from '../../extension/modelSummary/contribution';
import { OVERLAY_LEVELS } from '../../extension/overlay/tokenSpans';
import { VARIANT_IDS } from '../../runtime/kernels/types';
import { variantPicks } from '../../extension/variantPicks';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { commands: unknown[]; configuration: { title: string; properties: Record<string, unknown> }; colors: unknown[]; customEditors: unknown[] };
  capabilities?: { untrustedWorkspaces?: { supported: unknown } };
};

test('contributes.commands is exactly the commands record', () => {
  assert.deepEqual(pkg.contributes.commands, contributedCommands());
  for (const c of Object.values(COMMANDS)) assert.match(c.id, /^attnscope\.[a-z][A-Za-z]+$/);
  assert.ok(contributedCommands().every((c) => c.category === COMMAND_CATEGORY));
});

test('contributes.configuration is exactly the settings record', () => {
  assert.equal(pkg.contributes.configuration.title, 'AttnScope');
  assert.deepEqual(pkg.contributes.configuration.properties, configurationProperties());
});

test('every setting default is valid for its own schema', () => {
  for (const s of Object.values(SETTINGS) as { key: string; default: string | number; enum?: readonly string[]; minimum?: number; maximum?: number }[]) {
    if (s.enum) assert.ok(s.enum.includes(String(s.default)), `${s.key} default`);
    if (typeof s.default === 'number') assert.ok(s.default >= (s.minimum ?? -Infinity) && s.default <= (s.maximum ?? Infinity), `${s.key} default in range`);
  }
  assert.deepEqual(SETTINGS.variant.enum, ['model', ...VARIANT_IDS]);
});

test('untrusted workspaces get limited support (no model runs there)', () => {
  assert.equal(pkg.capabilities?.untrustedWorkspaces?.supported, 'limited');
});

test('Set Variant offers every variant with its one-line description and parameters', () => {
  const picks = variantPicks('sigmoid');
  assert.deepEqual(picks.map((p) => p.id), ['model', ...VARIANT_IDS]);
  const sigmoid = picks.find((p) => p.id === 'sigmoid')!;
  assert.equal(sigmoid.label, '$(check) sigmoid');
  assert.equal(sigmoid.description, 'params: b=auto');
  assert.ok(picks.every((p) => p.detail.length > 10 && !p.detail.includes('\n')));
  assert.equal(picks.find((p) => p.id === 'softmax')!.description, 'no params');
});

test('contributes.colors holds one overlay colour per level, for every theme kind', () => {
  assert.deepEqual(pkg.contributes.colors, overlayColors());
  assert.equal(overlayColors().length, OVERLAY_LEVELS);
  for (const c of overlayColors()) for (const v of Object.values(c.defaults)) assert.match(v, /^#[0-9a-f]{8}$/);
});

test('commands that run model code need a trusted workspace', () => {
  assert.equal(COMMANDS.openModel.enablement, 'isWorkspaceTrusted');
  assert.equal(COMMANDS.inspectSelection.enablement, 'isWorkspaceTrusted');
});

test('contributes.customEditors opens .onnx files in the model summary', () => {
  assert.deepEqual(pkg.contributes.customEditors, customEditorContributions());
});
