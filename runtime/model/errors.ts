/**
 * Typed errors of the engine. Each carries a machine-readable `code` and a one-line message that says
 * what is wrong and what to do; the CLI prints the message alone (no stack) and exits 2.
 */
export type ModelErrorCode =
  | 'not-found'
  | 'truncated'
  | 'not-onnx'
  | 'unsupported-opset'
  | 'too-large'
  | 'external-data'
  | 'no-attention'
  | 'unsupported-core'
  | 'prompt-too-long'
  | 'bad-input'
  | 'tokenizer'
  | 'backend';

export class ModelError extends Error {
  constructor(readonly code: ModelErrorCode, message: string) {
    super(message);
    this.name = 'ModelError';
  }
}
