/** Typed reads and writes of the settings declared in settings.ts. */
import * as vscode from 'vscode';
import { type BackendChoice, SETTINGS, type VariantChoice } from './settings';

function section(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}

function read<T>(key: string, fallback: T): T {
  const [s, k] = section(key);
  return vscode.workspace.getConfiguration(s).get<T>(k, fallback);
}

export const config = {
  variant: (): VariantChoice => read<VariantChoice>(SETTINGS.variant.key, SETTINGS.variant.default),
  variantParams: (): string => read<string>(SETTINGS.variantParams.key, SETTINGS.variantParams.default).trim(),
  sinkEpsilon: (): number => read<number>(SETTINGS.sinkEpsilon.key, SETTINGS.sinkEpsilon.default),
  backend: (): BackendChoice => read<BackendChoice>(SETTINGS.backend.key, SETTINGS.backend.default),
  hangLimitMs: (): number => 1000 * read<number>(SETTINGS.hangLimitSeconds.key, SETTINGS.hangLimitSeconds.default),
  maxMemoryMb: (): number => read<number>(SETTINGS.maxMemoryMb.key, SETTINGS.maxMemoryMb.default),
  /** Writes a setting where the user keeps it: the workspace when one is open, else globally. */
  async write(key: string, value: unknown): Promise<void> {
    const [s, k] = section(key);
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(s).update(k, value, target);
  },
  /** True while writeMany() writes: the change events of its half-written state are not acted on. */
  writing: false,
  /** Writes several settings as one change (the variant and its parameters), in order. */
  async writeMany(entries: [string, unknown][]): Promise<void> {
    config.writing = true;
    try {
      for (const [key, value] of entries) await config.write(key, value);
    } finally {
      config.writing = false;
    }
  },
  affects: (e: vscode.ConfigurationChangeEvent, ...keys: string[]): boolean => keys.some((k) => e.affectsConfiguration(k)),
};
