/**
 * Level of detail for head maps across the runtime → extension → panel boundary. A map larger than
 * LOD_MAX_SIDE on a side travels first as one max-pooled level (blocks of 2^level × 2^level cells,
 * the same max the panel's mipmap pyramid takes, so colours agree); the panel asks for tiles of a
 * finer level when the user zooms in past it. Imports only protocol modules, so the runtime and the
 * webview share it.
 */
import { tensorProblem, type WireTensor } from './tensor';

/** Maps with more rows or columns than this are sent pooled first (a canvas shows at most ~768 px). */
export const LOD_MAX_SIDE = 1024;
/** A tile holds TILE × TILE cells of its level. */
export const TILE = 256;
/** At most this many tiles per request. */
export const MAX_TILES_PER_REQUEST = 64;

/** The first pooled level of a tq × tk map: the smallest level whose pooled map fits LOD_MAX_SIDE (0: send it whole). */
export function lodLevel(tq: number, tk: number): number {
  let level = 0;
  while (Math.ceil(Math.max(tq, tk) / 2 ** level) > LOD_MAX_SIDE) level++;
  return level;
}

/**
 * Max-pools rows [r0, r0 + rows) × cols [c0, c0 + cols) of a row-major map with `stride` columns
 * (clipped to `totalRows` × `stride`) into blocks of `block` × `block`: each output cell is the
 * largest weight of its block, and 0 when every weight is ≤ 0 or NaN (as the mipmap pyramid pools).
 * r0 and c0 are multiples of `block`; the result is [ceil(rows / block), ceil(cols / block)].
 */
export function maxPoolRegion(src: Float32Array, totalRows: number, stride: number, block: number, r0: number, c0: number, rows: number, cols: number): Float32Array {
  const r1 = Math.min(totalRows, r0 + rows);
  const c1 = Math.min(stride, c0 + cols);
  const outCols = Math.ceil(cols / block);
  const out = new Float32Array(Math.ceil(rows / block) * outCols);
  const cols1 = c1 - c0;
  const outCol = new Int32Array(cols1); // output column of each input column
  for (let c = 0; c < cols1; c++) outCol[c] = Math.floor(c / block);
  for (let r = r0; r < r1; r++) {
    const o = Math.floor((r - r0) / block) * outCols;
    const row = src.subarray(r * stride + c0, r * stride + c1);
    // Blocks of 2 and 4 (the usual levels) unrolled: one compare chain per block, one store.
    if (block === 2 || block === 4) {
      const whole = cols1 - (cols1 % block);
      for (let c = 0; c < whole; c += block) {
        let m = out[o + outCol[c]];
        if (row[c] > m) m = row[c];
        if (row[c + 1] > m) m = row[c + 1];
        if (block === 4) { if (row[c + 2] > m) m = row[c + 2]; if (row[c + 3] > m) m = row[c + 3]; }
        out[o + outCol[c]] = m;
      }
      for (let c = whole; c < cols1; c++) if (row[c] > out[o + outCol[c]]) out[o + outCol[c]] = row[c];
      continue;
    }
    for (let c = 0; c < cols1; c++) if (row[c] > out[o + outCol[c]]) out[o + outCol[c]] = row[c];
  }
  return out;
}

/** The whole map pooled at `level`: [ceil(tq / 2^level), ceil(tk / 2^level)]. */
export function maxPool(src: Float32Array, tq: number, tk: number, level: number): Float32Array {
  if (level === 0) return src;
  const b = 2 ** level;
  return maxPoolRegion(src, tq, tk, b, 0, 0, Math.ceil(tq / b) * b, Math.ceil(tk / b) * b);
}

/** Level-`level` cells of tile (i, j) of a tq × tk map: its first row and column and its size, in level cells. */
export function tileShape(tq: number, tk: number, level: number, i: number, j: number): { rows: number; cols: number } {
  const rowsL = Math.ceil(tq / 2 ** level);
  const colsL = Math.ceil(tk / 2 ** level);
  return { rows: Math.max(0, Math.min(TILE, rowsL - i * TILE)), cols: Math.max(0, Math.min(TILE, colsL - j * TILE)) };
}

/** Tile (i, j) of level `level` of the full map (row-major [rows, cols] of tileShape; level 0: the weights as they are). */
export function poolTile(src: Float32Array, tq: number, tk: number, level: number, i: number, j: number): Float32Array {
  const { rows, cols } = tileShape(tq, tk, level, i, j);
  if (level === 0) { // the exact weights
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) out.set(src.subarray((i * TILE + r) * tk + j * TILE, (i * TILE + r) * tk + j * TILE + cols), r * cols);
    return out;
  }
  const b = 2 ** level;
  return maxPoolRegion(src, tq, tk, b, i * TILE * b, j * TILE * b, rows * b, cols * b);
}

export interface TileRequest {
  layer: number;
  head: number;
  /** 0: full resolution; l: 2^l × 2^l max-pooled blocks. */
  level: number;
  /** [i, j]: tile row and column (TILE × TILE cells of the level). */
  tiles: [number, number][];
  /** The `lod.inspection` of the map: the runtime refuses tiles of an older inspection. */
  inspection: number;
}

const natural = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;

/** Why `x` is not a well-formed TileRequest, or null (bounds against the map are checked where it is known). */
export function tileRequestProblem(x: unknown): string | null {
  const r = typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : null;
  if (!r || !natural(r.layer) || !natural(r.head)) return 'needs layer and head (non-negative integers)';
  if (!natural(r.level) || (r.level as number) > 16) return 'level must be an integer from 0 to 16';
  if (!natural(r.inspection)) return 'needs the inspection the map came from (a non-negative integer)';
  if (!Array.isArray(r.tiles) || !r.tiles.length || r.tiles.length > MAX_TILES_PER_REQUEST) return `tiles must be a list of 1 to ${MAX_TILES_PER_REQUEST} [row, column] pairs`;
  return r.tiles.every((t) => Array.isArray(t) && t.length === 2 && natural(t[0]) && natural(t[1])) ? null : 'tiles must be [row, column] pairs of non-negative integers';
}

export interface TileResult {
  layer: number;
  head: number;
  level: number;
  tiles: { i: number; j: number; weights: WireTensor<Float32Array> }[];
}

/** Why `x` is not a TileResult with tiles of at most TILE × TILE, or null. */
export function tileResultProblem(x: unknown): string | null {
  const r = typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : null;
  if (!r || !natural(r.layer) || !natural(r.head) || !natural(r.level)) return 'tiles need layer, head and level';
  if (!Array.isArray(r.tiles)) return 'tiles must be a list';
  for (const t of r.tiles as unknown[]) {
    const o = typeof t === 'object' && t !== null ? (t as Record<string, unknown>) : null;
    if (!o || !natural(o.i) || !natural(o.j)) return 'each tile needs i and j';
    const p = tensorProblem(o.weights, 'float32', 2);
    if (p) return `tile weights ${p}`;
    const [rows, cols] = (o.weights as WireTensor).shape;
    if (rows > TILE || cols > TILE) return `a tile is at most ${TILE} × ${TILE}, got ${rows} × ${cols}`;
  }
  return null;
}
