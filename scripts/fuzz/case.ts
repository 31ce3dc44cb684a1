/**
 * One fuzz case: (run seed, case index) → a seed input, the mutations applied to it and the
 * candidate generator used, all drawn from one seeded stream, so the same pair always gives the
 * same bytes (`npm run fuzz -- --seed K --replay I`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRandom } from '../../src/phantom/random.ts';
import { type CaseInput, mutate, zipBytesOf } from './mutate.ts';
import type { SeedInput } from './seeds.ts';

export type CandidateMode = 'learned' | 'classical';

export interface FuzzCase {
  index: number;
  seedId: string;
  real: boolean;
  mutations: string[];
  candidates: CandidateMode;
  input: CaseInput;
}

/** Share of cases run on the seed as it is (the seeds themselves must screen). */
const UNMUTATED_SHARE = 0.04;
const MAX_MUTATIONS = 3;

function caseSeed(runSeed: number, index: number): number {
  return (Math.imul(runSeed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

export function makeCase(runSeed: number, index: number, seeds: readonly SeedInput[]): FuzzCase {
  const rng = createRandom(caseSeed(runSeed, index));
  const seed = rng.pick(seeds);
  // fresh plain copies: mutators edit the bytes they are given, and a Node Buffer's .slice() is a
  // view, so a seed held as a Buffer (gzipSync's result) would be corrupted for every later case
  const input: CaseInput = { kind: seed.kind, files: seed.files.map((f) => ({ name: f.name, bytes: new Uint8Array(f.bytes) })) };
  const count = rng.next() < UNMUTATED_SHARE ? 0 : rng.int(1, MAX_MUTATIONS);
  const mutations = mutate(input, count, rng);
  const candidates: CandidateMode = rng.next() < 0.5 ? 'learned' : 'classical';
  return { index, seedId: seed.id, real: seed.real, mutations, candidates, input };
}

/** Writes the case under `dir` laid out as its kind needs; returns the path to give ctscreen. */
export async function writeCase(c: FuzzCase, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const { kind, files } = c.input;
  const putAll = async (folder: string) => {
    await mkdir(folder, { recursive: true });
    for (const f of files) await writeFile(join(folder, f.name), f.bytes);
    return folder;
  };
  switch (kind) {
    case 'dicom-series':
      return putAll(join(dir, 'series'));
    case 'image-stack':
      return putAll(join(dir, 'stack'));
    case 'dicom-zip': {
      const p = join(dir, 'series.zip');
      await writeFile(p, zipBytesOf(c.input));
      return p;
    }
    default: {
      const f = files[0];
      const p = join(dir, f.name);
      await writeFile(p, f.bytes);
      return p;
    }
  }
}
