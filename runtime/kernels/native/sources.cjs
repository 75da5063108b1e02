// Prints the C sources of the native addon for binding.gyp: every kernel family in
// runtime/kernels/c (so a family added there is built without editing binding.gyp).
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const dir = join(__dirname, '..', 'c');
const files = readdirSync(dir).filter((f) => f.endsWith('.c') && !f.startsWith('wasm_')).sort();
console.log(files.map((f) => `runtime/kernels/c/${f}`).join(' '));
