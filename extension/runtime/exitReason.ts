/**
 * Turns the way the runtime process ended into one line for the user, and a typed error code.
 * Pure: it sees only the exit code, the signal and the tail of the process's stderr.
 */
import type { ErrorCode } from '../../runtime/protocol/errors';

export interface RuntimeFailure {
  code: Extract<ErrorCode, 'runtime-crashed' | 'runtime-hung' | 'runtime-oom'>;
  /** One sentence: what happened (the client adds whether it restarted the runtime). */
  message: string;
}

const OOM_PATTERNS = [
  /heap out of memory/i,
  /Allocation failed/i,
  /std::bad_alloc/,
  /Cannot allocate memory/i,
  /Failed to allocate memory/i,
  /OutOfMemory/,
];

export function classifyExit(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): RuntimeFailure {
  if (OOM_PATTERNS.some((p) => p.test(stderrTail))) {
    return { code: 'runtime-oom', message: 'The AttnScope runtime ran out of memory (try a shorter prompt or a smaller model).' };
  }
  if (signal === 'SIGKILL') {
    return { code: 'runtime-crashed', message: 'The AttnScope runtime was killed (SIGKILL: out of memory or killed from outside).' };
  }
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  const last = lastMeaningfulLine(stderrTail);
  return { code: 'runtime-crashed', message: `The AttnScope runtime crashed (${how}${last ? `: ${last}` : ''}).` };
}

export function hangFailure(limitMs: number, method: string): RuntimeFailure {
  return {
    code: 'runtime-hung',
    message: `The AttnScope runtime did not answer ${method} within ${Math.round(limitMs / 1000)} s (raise attnscope.runtime.hangLimitSeconds for large models).`,
  };
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^at /.test(l) && !/^\^+$/.test(l));
  const line = lines.at(-1) ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
