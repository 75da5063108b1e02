/**
 * Owns the runtime client inside VS Code: forks dist/server.js, runs long calls under a
 * cancellable progress notification, reports a crash / hang / out-of-memory in one line with a
 * Restart button, and re-creates the client when the runtime settings change.
 */
import * as vscode from 'vscode';
import { RpcError } from '../../runtime/protocol/errors';
import type { RuntimeInfo, RuntimeMethods } from '../../runtime/protocol/runtime';
import type { Progress } from '../../runtime/protocol/rpc';
import { COMMANDS } from '../commands';
import { config } from '../config';
import { SETTINGS } from '../settings';
import { RuntimeClient } from './client';
import type { RuntimeFailure } from './exitReason';

export class RuntimeSupervisor implements vscode.Disposable {
  private client: RuntimeClient;
  private info?: RuntimeInfo;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<{ info?: RuntimeInfo; failure?: RuntimeFailure }>();
  /** Fires after every start (info) and every failure (failure). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly serverPath: string, private readonly log: vscode.LogOutputChannel) {
    this.client = this.create();
    this.disposables.push(this.changed, vscode.workspace.onDidChangeConfiguration((e) => {
      if (config.affects(e, SETTINGS.hangLimitSeconds.key, SETTINGS.maxMemoryMb.key)) {
        this.client.dispose();
        this.info = undefined;
        this.client = this.create();
        this.log.info('runtime settings changed: the next call starts a fresh runtime');
      }
    }));
  }

  /** The last hello of the running runtime (starting it if needed). */
  async runtimeInfo(): Promise<RuntimeInfo> {
    return (this.info ??= await this.client.start());
  }

  /** A call with a cancellable progress notification titled `title` (its progress also to `onProgress`); errors are RpcErrors. */
  call<K extends keyof RuntimeMethods & string>(title: string, method: K, params: RuntimeMethods[K]['params'], onProgress?: (p: Progress) => void): Thenable<RuntimeMethods[K]['result']> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      let done = 0;
      return this.client.request(method, params, {
        signal: ac.signal,
        onProgress: (p) => {
          const increment = p.fraction === undefined ? undefined : Math.max(0, 100 * p.fraction - done);
          if (p.fraction !== undefined) done = 100 * p.fraction;
          progress.report({ message: p.message, increment });
          onProgress?.(p);
        },
      });
    });
  }

  /** A short call with no notification (the panel's head maps and tiles, cancelled by `signal`); errors are RpcErrors. */
  request<K extends keyof RuntimeMethods & string>(method: K, params: RuntimeMethods[K]['params'], signal?: AbortSignal): Promise<RuntimeMethods[K]['result']> {
    return this.client.request(method, params, signal ? { signal } : undefined);
  }

  async restart(): Promise<RuntimeInfo> {
    this.info = await this.client.restart();
    this.log.info(`runtime restarted by hand (pid ${this.info.pid})`);
    return this.info;
  }

  dispose(): void {
    this.client.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private create(): RuntimeClient {
    const client = new RuntimeClient({ serverPath: this.serverPath, hangLimitMs: config.hangLimitMs(), maxHeapMb: config.maxMemoryMb() });
    client.onLog((l) => this.log[l.level](`[runtime] ${l.message}`));
    client.onStart((info) => {
      this.info = info;
      this.log.info(`runtime started (pid ${info.pid}, node ${info.node}, kernels: ${info.kernels.map((k) => `${k.backend}[${k.variants.length}]`).join(' ')})`);
      this.changed.fire({ info });
    });
    client.onFailure((f) => {
      this.info = undefined;
      this.log.error(f.message);
      this.changed.fire({ failure: f });
      void vscode.window.showErrorMessage(f.message, COMMANDS.restartRuntime.title).then((pick) => {
        if (pick) void vscode.commands.executeCommand(COMMANDS.restartRuntime.id);
      });
    });
    return client;
  }
}

/** One line for a failed call, for a notification: cancellations say nothing. */
export function reportCallError(err: unknown): void {
  if (err instanceof RpcError && err.code === 'cancelled') return;
  // Runtime deaths were already reported by the supervisor's failure listener.
  if (err instanceof RpcError && err.code.startsWith('runtime-')) return;
  void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
}
