/**
 * The extension host's side of the runtime process: forks runtime/server, speaks the typed
 * protocol to it, and keeps the extension host safe from it. A crash, a hang past the limit or an
 * out-of-memory exit rejects the requests in flight with a typed one-line error, is reported to
 * `onFailure` listeners, and a fresh runtime is forked. No `vscode` import: unit-tested against
 * the real server process.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { RpcError } from '../../runtime/protocol/errors';
import { type Channel, type Progress, RpcPeer } from '../../runtime/protocol/rpc';
import {
  type ExtensionHostEvents, type ExtensionHostMethods, RUNTIME_PROTOCOL_VERSION, type RuntimeEvents, type RuntimeInfo,
  type RuntimeMethods, runtimeEventValidators,
} from '../../runtime/protocol/runtime';
import { classifyExit, hangFailure, type RuntimeFailure } from './exitReason';

export interface RuntimeClientOptions {
  /** The server entry: dist/server.js when bundled, or runtime/server.ts with tsx in execArgv. */
  serverPath: string;
  execArgv?: string[];
  cwd?: string;
  /** A request with no reply and no progress for this long counts as a hang. */
  hangLimitMs: number;
  /** V8 heap limit of the runtime process in MiB (default 4096). */
  maxHeapMb?: number;
  /** Automatic restarts allowed within `restartWindowMs` before waiting for restart() (default 3 per 60 s). */
  maxRestarts?: number;
  restartWindowMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?(p: Progress): void;
}

type Peer = RpcPeer<ExtensionHostMethods, RuntimeMethods, ExtensionHostEvents, Record<never, never>>;

interface Session {
  child: ChildProcess;
  peer: Peer;
  /** Set once the session's end has been handled (so a kill we caused is not reported twice). */
  ended: boolean;
  stderrTail: string;
  ready: Promise<RuntimeInfo>;
}

const STDERR_TAIL = 8192;

export class RuntimeClient {
  private session?: Session;
  private restarts: number[] = [];
  private disposed = false;
  private readonly failureListeners = new Set<(f: RuntimeFailure) => void>();
  private readonly startListeners = new Set<(info: RuntimeInfo) => void>();
  private readonly logListeners = new Set<(l: RuntimeEvents['log']) => void>();

  constructor(private readonly options: RuntimeClientOptions) {}

  onFailure(l: (f: RuntimeFailure) => void): () => void { this.failureListeners.add(l); return () => this.failureListeners.delete(l); }
  /** Called after every successful start, first or restart (re-send state such as the loaded model here). */
  onStart(l: (info: RuntimeInfo) => void): () => void { this.startListeners.add(l); return () => this.startListeners.delete(l); }
  onLog(l: (line: RuntimeEvents['log']) => void): () => void { this.logListeners.add(l); return () => this.logListeners.delete(l); }

  /** The pid of the running runtime process, if any. */
  get pid(): number | undefined { return this.session?.child.pid; }

  /** Starts the runtime if it is not running; resolves with its hello. */
  start(): Promise<RuntimeInfo> {
    if (this.disposed) return Promise.reject(new RpcError('not-ready', 'the AttnScope runtime client was disposed'));
    return (this.session ??= this.spawn()).ready;
  }

  /** Stops the runtime (in-flight requests fail as cancelled) and starts a fresh one. */
  async restart(): Promise<RuntimeInfo> {
    this.restarts = [];
    this.stop(new RpcError('cancelled', 'the AttnScope runtime was restarted'));
    return this.start();
  }

  async request<K extends keyof RuntimeMethods & string>(method: K, params: RuntimeMethods[K]['params'], opts: CallOptions = {}): Promise<RuntimeMethods[K]['result']> {
    await this.start();
    const session = this.session;
    if (!session || session.ended) throw new RpcError('runtime-crashed', 'the AttnScope runtime stopped while starting; try again');
    return this.watch(session, method, (onProgress) => session.peer.request(method, params, { signal: opts.signal, onProgress: (p) => { onProgress(); opts.onProgress?.(p); } }));
  }

  dispose(): void {
    this.disposed = true;
    this.stop(new RpcError('cancelled', 'the AttnScope runtime was shut down'));
  }

  /** Runs a request under the hang watchdog: no reply and no progress within the limit ends the session. */
  private watch<T>(session: Omit<Session, 'ready'>, method: string, call: (touch: () => void) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => this.end(session, hangFailure(this.options.hangLimitMs, method)), this.options.hangLimitMs);
    };
    arm();
    return call(arm).finally(() => clearTimeout(timer));
  }

  private spawn(): Session {
    const { serverPath, execArgv = [], cwd, maxHeapMb = 4096 } = this.options;
    const child = fork(serverPath, [], {
      cwd,
      execArgv: [...execArgv, `--max-old-space-size=${maxHeapMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    const channel: Channel = {
      post: (m) => { if (child.connected) child.send(m as object); },
      onMessage: (l) => { child.on('message', l); return () => child.off('message', l); },
    };
    const peer: Peer = new RpcPeer(channel, {
      eventValidators: runtimeEventValidators,
      onInvalid: (reason) => this.emitLog({ level: 'warn', message: `refused a message from the runtime: ${reason}` }),
    });
    peer.on('log', (l) => this.emitLog(l));
    const base: Omit<Session, 'ready'> = { child, peer, ended: false, stderrTail: '' };
    const session: Session = Object.assign(base, { ready: this.handshake(base) });
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { for (const line of s.split('\n')) if (line.trim()) this.emitLog({ level: 'info', message: line }); });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      session.stderrTail = (session.stderrTail + s).slice(-STDERR_TAIL);
      for (const line of s.split('\n')) if (line.trim()) this.emitLog({ level: 'warn', message: line });
    });
    child.on('error', (err) => this.end(session, { code: 'runtime-crashed', message: `The AttnScope runtime could not be started: ${err.message}` }));
    // Wait for stdio to drain so the stderr tail is complete before classifying the exit.
    child.on('close', (code, signal) => this.end(session, classifyExit(code, signal, session.stderrTail)));
    return session;
  }

  /** Asks the new runtime for its hello and checks that it speaks this protocol version. */
  private handshake(session: Omit<Session, 'ready'>): Promise<RuntimeInfo> {
    const ready = this.watch(session, 'hello', () => session.peer.request('hello', {})).then((info) => {
      if (info.protocolVersion !== RUNTIME_PROTOCOL_VERSION) {
        const f: RuntimeFailure = { code: 'runtime-crashed', message: `The AttnScope runtime speaks protocol ${info.protocolVersion}, the extension ${RUNTIME_PROTOCOL_VERSION}; rebuild with npm run build.` };
        this.end(session, f, false);
        throw new RpcError(f.code, f.message);
      }
      for (const l of this.startListeners) l(info);
      return info;
    });
    ready.catch(() => undefined); // observed by callers of start(); never an unhandled rejection
    return ready;
  }

  /** Ends a session once: kills the process, fails its requests, reports, and restarts if allowed. */
  private end(session: Omit<Session, 'ready'>, failure: RuntimeFailure, restart = true): void {
    if (session.ended) return;
    session.ended = true;
    if (session.child.exitCode === null && session.child.signalCode === null) session.child.kill('SIGKILL');
    session.peer.rejectAll(new RpcError(failure.code, failure.message));
    session.peer.dispose();
    if (this.session === session) this.session = undefined;
    if (this.disposed) return;
    const now = Date.now();
    const window = this.options.restartWindowMs ?? 60_000;
    this.restarts = this.restarts.filter((t) => now - t < window);
    const allowed = restart && this.restarts.length < (this.options.maxRestarts ?? 3);
    const outcome = !restart ? '' : allowed ? ' It was restarted.' : ' It failed too often to restart automatically: run AttnScope: Restart Runtime.';
    const reported = { ...failure, message: failure.message + outcome };
    for (const l of this.failureListeners) l(reported);
    if (allowed) {
      this.restarts.push(now);
      this.start().catch(() => undefined); // a failed restart reports itself through end()
    }
  }

  private stop(reason: RpcError): void {
    const s = this.session;
    if (!s) return;
    s.ended = true;
    this.session = undefined;
    s.peer.rejectAll(reason);
    s.peer.dispose();
    s.child.kill('SIGKILL');
  }

  private emitLog(l: RuntimeEvents['log']): void {
    for (const f of this.logListeners) f(l);
  }
}
