/**
 * Typed errors that cross a protocol boundary. A handler that throws anything becomes a
 * `WireError` on the wire and an `RpcError` with the same code on the other side, so callers can
 * branch on `code` and show `message` (one line, says what is wrong and what to do).
 */

export const ERROR_CODES = [
  /** The message or its parameters failed validation. */
  'bad-request',
  /** No handler for the method on the receiving side. */
  'unknown-method',
  /** The caller cancelled the request. */
  'cancelled',
  /** The request needs state the peer does not have yet (e.g. no model loaded). */
  'not-ready',
  /** The model could not be loaded or run. */
  'model-error',
  /** The requested variant, backend or feature is not available in this build. */
  'unsupported',
  /** The runtime process exited (crash, kill) while the request was in flight. */
  'runtime-crashed',
  /** The runtime did not answer within the hang limit and was stopped. */
  'runtime-hung',
  /** The runtime ran out of memory. */
  'runtime-oom',
  /** A bug: anything not classified above. */
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The plain-data form of an error on the wire. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

export class RpcError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'RpcError';
  }

  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}

/** Any thrown value as a wire error; non-RpcErrors are 'internal' with their first line kept. */
export function toWireError(err: unknown): WireError {
  if (err instanceof RpcError) return err.toWire();
  const text = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: text.split('\n')[0] || 'unknown error' };
}

export function fromWireError(w: WireError): RpcError {
  return new RpcError(w.code, w.message);
}
