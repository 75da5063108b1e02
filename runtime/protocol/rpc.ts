/**
 * One generic request/response helper for every boundary (extension ↔ runtime process,
 * extension ↔ webview), after vscode-hexeditor's shared/protocol.ts: requests carry a
 * `messageId`, replies and progress carry `inReplyTo`, a `cancel` message aborts a request on the
 * far side, and one-way events carry a literal `event` name. Each side declares the methods it
 * serves and the events it accepts, with a validator per entry: nothing unvalidated reaches a
 * handler.
 */
import { isErrorCode, RpcError, toWireError, type WireError } from './errors';

/** Methods one side serves: name → params and result. */
export type MethodMap = { [method: string]: { params: unknown; result: unknown } };
/** One-way events one side accepts: name → body. */
export type EventMap = { [event: string]: unknown };

/** Progress of a long request, reported by its handler. */
export interface Progress {
  message: string;
  /** Done share in [0, 1] when known. */
  fraction?: number;
}

export type RequestMessage<M extends MethodMap> = {
  [K in keyof M & string]: { kind: 'request'; messageId: number; method: K; params: M[K]['params'] };
}[keyof M & string];
export interface ResponseMessage<R = unknown> {
  kind: 'response';
  inReplyTo: number;
  result?: R;
  error?: WireError;
}
export interface ProgressMessage {
  kind: 'progress';
  inReplyTo: number;
  progress: Progress;
}
export interface CancelMessage {
  kind: 'cancel';
  inReplyTo: number;
}
export type EventMessage<E extends EventMap> = {
  [K in keyof E & string]: { kind: 'event'; event: K; body: E[K] };
}[keyof E & string];

/** Everything one side may send, given what the other side serves and accepts. */
export type Outgoing<RemoteMethods extends MethodMap, RemoteEvents extends EventMap> =
  | RequestMessage<RemoteMethods>
  | CancelMessage
  | ResponseMessage
  | ProgressMessage
  | EventMessage<RemoteEvents>;

/** A message transport: child_process IPC, a webview, a MessagePort. */
export interface Channel {
  post(message: unknown): void;
  /** Subscribes; returns the unsubscribe function. */
  onMessage(listener: (message: unknown) => void): () => void;
}

/** Why a value is not valid (one line), or null when it is. */
export type Validator = (value: unknown) => string | null;

export interface HandlerContext {
  /** Aborted when the caller cancels. */
  signal: AbortSignal;
  progress(p: Progress): void;
}
export type Handlers<M extends MethodMap> = {
  [K in keyof M]: (params: M[K]['params'], ctx: HandlerContext) => Promise<M[K]['result']> | M[K]['result'];
};
export type EventHandlers<E extends EventMap> = { [K in keyof E]?: (body: E[K]) => void };

export interface PeerOptions<Local extends MethodMap, LocalEvents extends EventMap, Remote extends MethodMap = MethodMap> {
  /** Handlers for the methods this side serves, with a params validator each. */
  handlers?: Partial<Handlers<Local>>;
  paramValidators?: { [K in keyof Local]?: Validator };
  /** Validators for results of requests this side sends (used where the far side is untrusted). */
  resultValidators?: { [K in keyof Remote]?: Validator };
  /** Validators for the events this side accepts; an event without one is refused. */
  eventValidators?: { [K in keyof LocalEvents]: Validator };
  /** Called with a one-line reason for every refused message (bad envelope, bad event). */
  onInvalid?(reason: string): void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?(p: Progress): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: RpcError): void;
  onProgress?(p: Progress): void;
  cleanup(): void;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/**
 * One end of a typed channel. `Local`/`LocalEvents` are what this side serves and accepts,
 * `Remote`/`RemoteEvents` what the far side serves and accepts.
 */
export class RpcPeer<Local extends MethodMap, Remote extends MethodMap, LocalEvents extends EventMap, RemoteEvents extends EventMap> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, AbortController>();
  private readonly eventHandlers: EventHandlers<LocalEvents> = {};
  private readonly unsubscribe: () => void;

  constructor(private readonly channel: Channel, private readonly options: PeerOptions<Local, LocalEvents, Remote> = {}) {
    this.unsubscribe = channel.onMessage((m) => this.receive(m));
  }

  /** Sends a request; resolves with its result or rejects with an RpcError. */
  request<K extends keyof Remote & string>(method: K, params: Remote[K]['params'], opts: RequestOptions = {}): Promise<Remote[K]['result']> {
    const messageId = this.nextId++;
    return new Promise((resolve, reject) => {
      const { signal } = opts;
      if (signal?.aborted) { reject(new RpcError('cancelled', `${method} was cancelled`)); return; }
      const onAbort = (): void => {
        this.pending.delete(messageId);
        this.post({ kind: 'cancel', inReplyTo: messageId });
        reject(new RpcError('cancelled', `${method} was cancelled`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const check = this.options.resultValidators?.[method];
      this.pending.set(messageId, {
        resolve: (v) => {
          const problem = check?.(v);
          if (problem) reject(new RpcError('bad-request', `${method} result: ${problem}`));
          else resolve(v as Remote[K]['result']);
        },
        reject, onProgress: opts.onProgress,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.post({ kind: 'request', messageId, method, params } as RequestMessage<Remote>);
    });
  }

  /** Sends a one-way event. */
  notify<K extends keyof RemoteEvents & string>(event: K, body: RemoteEvents[K]): void {
    this.post({ kind: 'event', event, body } as EventMessage<RemoteEvents>);
  }

  /** Subscribes to an event this side accepts (one listener per event). */
  on<K extends keyof LocalEvents>(event: K, listener: (body: LocalEvents[K]) => void): void {
    this.eventHandlers[event] = listener;
  }

  /** Rejects every request in flight (the transport died) and forgets them. */
  rejectAll(error: RpcError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) { p.cleanup(); p.reject(error); }
  }

  get inFlight(): number {
    return this.pending.size;
  }

  dispose(): void {
    this.unsubscribe();
    for (const c of this.running.values()) c.abort();
    this.running.clear();
  }

  private post(message: Outgoing<Remote, RemoteEvents>): void {
    this.channel.post(message);
  }

  private invalid(reason: string): void {
    this.options.onInvalid?.(reason);
  }

  private receive(m: unknown): void {
    if (!isObject(m) || typeof m.kind !== 'string') { this.invalid('message is not an object with a kind'); return; }
    switch (m.kind) {
      case 'request':
        if (typeof m.messageId !== 'number' || typeof m.method !== 'string') { this.invalid('request without messageId/method'); return; }
        void this.serve(m.messageId, m.method, m.params);
        return;
      case 'cancel':
        if (typeof m.inReplyTo === 'number') this.running.get(m.inReplyTo)?.abort();
        return;
      case 'response': case 'progress': {
        if (typeof m.inReplyTo !== 'number') { this.invalid(`${m.kind} without inReplyTo`); return; }
        const p = this.pending.get(m.inReplyTo);
        if (!p) return; // cancelled or rejected already
        if (m.kind === 'progress') {
          const pr = m.progress;
          if (isObject(pr) && typeof pr.message === 'string') p.onProgress?.({ message: pr.message, fraction: typeof pr.fraction === 'number' ? pr.fraction : undefined });
          return;
        }
        this.pending.delete(m.inReplyTo);
        p.cleanup();
        const err = m.error;
        if (isObject(err)) p.reject(new RpcError(isErrorCode(err.code) ? err.code : 'internal', typeof err.message === 'string' ? err.message : 'unknown error'));
        else p.resolve(m.result);
        return;
      }
      case 'event': {
        if (typeof m.event !== 'string') { this.invalid('event without a name'); return; }
        const name = m.event as keyof LocalEvents & string;
        const validate = this.options.eventValidators?.[name];
        if (!validate) { this.invalid(`unknown event ${m.event}`); return; }
        const problem = validate(m.body);
        if (problem) { this.invalid(`event ${m.event}: ${problem}`); return; }
        this.eventHandlers[name]?.(m.body as LocalEvents[typeof name]);
        return;
      }
      default:
        this.invalid(`unknown message kind ${String(m.kind)}`);
    }
  }

  private async serve(messageId: number, method: string, params: unknown): Promise<void> {
    const handler = this.options.handlers?.[method as keyof Local];
    if (!handler) { this.post({ kind: 'response', inReplyTo: messageId, error: { code: 'unknown-method', message: `unknown method ${method}` } }); return; }
    const problem = this.options.paramValidators?.[method as keyof Local]?.(params);
    if (problem) { this.post({ kind: 'response', inReplyTo: messageId, error: { code: 'bad-request', message: `${method}: ${problem}` } }); return; }
    const controller = new AbortController();
    this.running.set(messageId, controller);
    try {
      const result = await handler(params as Local[keyof Local]['params'], {
        signal: controller.signal,
        progress: (progress) => { if (!controller.signal.aborted) this.post({ kind: 'progress', inReplyTo: messageId, progress }); },
      });
      if (controller.signal.aborted) throw new RpcError('cancelled', `${method} was cancelled`);
      this.post({ kind: 'response', inReplyTo: messageId, result });
    } catch (err) {
      this.post({ kind: 'response', inReplyTo: messageId, error: toWireError(err) });
    } finally {
      this.running.delete(messageId);
    }
  }
}
