// Lint with the layering rules of shared STYLE.md:
//   webview/ imports only the protocol types; runtime/ never imports vscode or webview/;
//   only extension/ joins them.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'runtime/ and webview/ never import vscode (layering rule).' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'build/**', 'out/**', '**/generated/**', 'media/**', 'test/.tmp/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode],
        patterns: [{ group: ['**/webview/**', '**/extension/**'], message: 'runtime/ never imports extension/ or webview/ (layering rule).' }],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode],
        // A regex, not a gitignore group: a group cannot re-include protocol/ under an excluded runtime/.
        // Besides the protocols, the webview runs the WASM kernels (their loader, the variant registry and the kernel types; no Node API).
        patterns: [{
          regex: '(^|/)extension/(?!protocol/)|(^|/)runtime/(?!protocol/|kernels/(types|variants|wasm/backend|wasm/kernels)$)',
          message: 'webview/ imports only the protocol types and the WASM kernels (layering rule).',
        }],
      }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
