/**
 * Every AttnScope command, in one place: extension.ts registers a handler for each entry (the
 * compiler checks that none is missing) and test/unit/extension-manifest.unit.test.ts checks
 * package.json's contributes.commands against this record. A command appears here only once the
 * runtime really supports it.
 */

export const COMMAND_CATEGORY = 'AttnScope';

export interface CommandSpec {
  id: `attnscope.${string}`;
  title: string;
  /** A `when` clause; commands that run model code need a trusted workspace. */
  enablement?: string;
}

export const COMMANDS = {
  openModel: { id: 'attnscope.openModel', title: 'Open Model…', enablement: 'isWorkspaceTrusted' },
  inspectSelection: { id: 'attnscope.inspectSelection', title: 'Inspect Selection', enablement: 'isWorkspaceTrusted' },
  setVariant: { id: 'attnscope.setVariant', title: 'Set Variant…' },
  setBackend: { id: 'attnscope.setBackend', title: 'Set Backend…' },
  compareVariants: { id: 'attnscope.compareVariants', title: 'Compare Variants…', enablement: 'isWorkspaceTrusted' },
  showDrift: { id: 'attnscope.showDrift', title: 'Show Quantization Drift', enablement: 'isWorkspaceTrusted' },
  simulateStreaming: { id: 'attnscope.simulateStreaming', title: 'Simulate Streaming Window…', enablement: 'isWorkspaceTrusted' },
  toggleOverlay: { id: 'attnscope.toggleOverlay', title: 'Toggle Overlay' },
  showPanel: { id: 'attnscope.showPanel', title: 'Show Panel' },
  exportInspection: { id: 'attnscope.export', title: 'Export…' },
  restartRuntime: { id: 'attnscope.restartRuntime', title: 'Restart Runtime' },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

/** The package.json `contributes.commands` entries. */
export function contributedCommands(): { command: string; title: string; category: string; enablement?: string }[] {
  return (Object.values(COMMANDS) as CommandSpec[]).map((c) => ({
    command: c.id, title: c.title, category: COMMAND_CATEGORY, ...(c.enablement ? { enablement: c.enablement } : {}),
  }));
}
