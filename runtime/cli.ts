/**
 * The headless CLI: `attnscope check | inspect | graph`. Exit codes: 0 success (check: pass),
 * 1 check failed, 2 error (one line on stderr, no stack trace).
 */
import { existsSync } from 'node:fs';
import { SegmentedModel } from './engine/runner';
import { BACKEND_IDS, DEFAULT_BACKEND } from './engine/backends';
import { ModelError } from './model/errors';
import { parseVariant } from './kernels/variants';
import type { BackendId, VariantSpec } from './kernels/types';
import { flagString, parseArgs, UsageError, type ParsedArgs } from './cli/args';
import { runCheck } from './cli/check';
import { runInspect } from './cli/inspect';
import { runGraph } from './cli/graph';
import { formatCheck, formatGraph, formatInspect } from './cli/format';
import { resolvePrompt } from './cli/prompt';
import { checkIds } from './cli/model-facts';
import { sinksCommand } from './cli/sinks';
import { driftCommand } from './cli/drift';
import { compareCommand } from './cli/compare';
import { streamCommand } from './cli/stream';
import { profileCommand } from './cli/profile';
import { demoModelPath } from './cli/demo-model';

/** The analysis commands (issue 5) parse their own options and return the text to print. */
const ANALYSIS_COMMANDS: Record<string, (argv: string[]) => Promise<string>> = {
  sinks: sinksCommand, drift: driftCommand, compare: compareCommand, stream: streamCommand, profile: profileCommand,
};

const COMMANDS = {
  check: { valued: ['model', 'ids', 'prompt', 'prompt-file', 'tokenizer', 'backend', 'threads'], switches: ['json'] },
  inspect: { valued: ['model', 'tokenizer', 'prompt', 'prompt-file', 'ids', 'variant', 'backend', 'threads'], switches: ['json'] },
  graph: { valued: ['model'], switches: ['json'] },
};


function modelPath(args: ParsedArgs): string {
  const given = flagString(args, 'model');
  const path = given ?? demoModelPath();
  if (!path) throw new UsageError('--model PATH is required (the bundled demo model media/models/attnscope-demo-softmax.onnx is not there)');
  if (!existsSync(path)) throw new ModelError('not-found', `model file not found: ${path}`);
  return path;
}

function backendOf(args: ParsedArgs): BackendId {
  const b = flagString(args, 'backend') ?? DEFAULT_BACKEND;
  if (!(BACKEND_IDS as readonly string[]).includes(b)) throw new UsageError(`--backend must be one of ${BACKEND_IDS.join(', ')}, got "${b}"`);
  return b as BackendId;
}

function threadsOf(args: ParsedArgs): number | undefined {
  const t = flagString(args, 'threads');
  if (t === undefined) return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--threads must be a positive integer, got "${t}"`);
  return n;
}

function variantOf(args: ParsedArgs): VariantSpec | null {
  const v = flagString(args, 'variant');
  if (v === undefined) return null;
  try {
    return parseVariant(v);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function main(argv: string[]): Promise<number> {
  const analysis = Object.hasOwn(ANALYSIS_COMMANDS, argv[0] ?? '') ? ANALYSIS_COMMANDS[argv[0]] : undefined;
  if (analysis) {
    process.stdout.write(`${await analysis(argv.slice(1))}\n`);
    return 0;
  }
  const args = parseArgs(argv, COMMANDS);
  const json = args.flags.has('json');
  const path = modelPath(args);
  const print = (report: object, text: string): void => { process.stdout.write(`${json ? JSON.stringify(report) : text}\n`); };
  if (args.command === 'graph') {
    const model = SegmentedModel.open(path);
    const report = await runGraph(model, path);
    print(report, formatGraph(report));
    return 0;
  }
  const backend = backendOf(args);
  const threads = threadsOf(args);
  const model = SegmentedModel.open(path, { threads });
  if (args.command === 'check') {
    const prompt = resolvePrompt(args, path);
    if (prompt) checkIds(model, prompt.ids);
    const report = await runCheck(model, path, prompt ? prompt.ids : null, backend);
    print(report, formatCheck(report));
    return report.pass ? 0 : 1;
  }
  const variant = variantOf(args);
  const prompt = resolvePrompt(args, path);
  if (!prompt) throw new UsageError('inspect needs a prompt: --prompt TEXT, --prompt-file PATH or --ids 1,2,3');
  checkIds(model, prompt.ids);
  const report = await runInspect(model, path, prompt, variant, backend);
  print(report, formatInspect(report));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const oneLine = message.replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`attnscope: ${oneLine}\n`);
    if (process.env.ATTNSCOPE_DEBUG && err instanceof Error && !(err instanceof ModelError) && !(err instanceof UsageError)) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 2;
  },
);
