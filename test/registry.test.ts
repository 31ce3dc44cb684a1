// The registry drives: every input kind has its reader, the candidate stage runs the registered
// generator, --candidates choices and errors come from it, every output type has its writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classicalCandidates } from '../src/candidates/classical.ts';
import { parseCandidatesFlag } from '../src/cli/commands/screen.ts';
import { IDENTITY_DIRECTION, type Volume } from '../src/core/volume.ts';
import { writeNifti } from '../src/io/nifti.ts';
import { readVolumeWithReport, type InputKind } from '../src/io/read.ts';
import { findCandidates } from '../src/pipeline/stages.ts';
import { CANDIDATE_GENERATORS, candidateGenerator, candidateGenerators, OUTPUT_TYPE_CHOICES, outputFormats, outputWriters, readers } from '../src/registry.ts';

const KINDS: readonly InputKind[] = ['dicom-folder', 'dicom-zip', 'dicom-file', 'nifti', 'image-stack', 'image'];

test('registry: each input kind has exactly one reader, each output type one writer, --candidates lists the generators', () => {
  for (const k of KINDS) assert.equal(readers.filter((r) => r.kinds.includes(k)).length, 1, k);
  for (const t of new Set(outputFormats.map((f) => f.outputType))) assert.equal(outputWriters.filter((w) => w.outputType === t).length, 1, t);
  assert.deepEqual(OUTPUT_TYPE_CHOICES, ['html', 'nifti', 'volume', 'dicom']);
  assert.deepEqual(CANDIDATE_GENERATORS, candidateGenerators.map((g) => g.id));
  assert.deepEqual(CANDIDATE_GENERATORS, ['learned', 'classical']);
  assert.equal(parseCandidatesFlag('classical'), 'classical');
  assert.throws(() => parseCandidatesFlag('magic'), /--candidates 'magic' is not a candidate generator; expected one of learned, classical/);
  // dicom writes before json: its warnings must reach report.json
  const order = outputWriters.map((w) => w.outputType);
  assert.ok(order.indexOf('dicom') < order.indexOf('json'));
});

function blobVolume(): { volume: Volume<Int16Array>; lungMask: Uint8Array } {
  const dims = [24, 24, 6] as const;
  const data = new Int16Array(24 * 24 * 6).fill(-850);
  const lungMask = new Uint8Array(data.length).fill(1);
  for (let z = 1; z < 5; z++) for (let y = 6; y < 18; y++) for (let x = 6; x < 18; x++) data[x + 24 * (y + 24 * z)] = -450;
  return { volume: { data, dims: [...dims], spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION, source: { format: 'synthetic', sliceCount: 6, pseudoHu: false }, warnings: [] }, lungMask };
}

test('registry: the candidate stage runs the registered generator (classical: same set as calling it directly); learned without a segmenter is a model error', async () => {
  const { volume, lungMask } = blobVolume();
  const direct = await classicalCandidates({ volume, lungMask }, { maxCandidates: 10 });
  const viaStage = await findCandidates({ volume, lungMask, mode: 'classical', models: { classifier: undefined as never }, maxCandidates: 10 });
  assert.equal(viaStage.generator, 'classical');
  assert.deepEqual(viaStage.candidates, direct.candidates);
  assert.deepEqual(viaStage.labels, direct.labels);
  assert.ok(direct.candidates.length >= 1);
  assert.equal(candidateGenerator('classical').methodId, 'classical-hu-bands');
  await assert.rejects(candidateGenerator('learned').generate({ volume, lungMask }, { maxCandidates: 10 }), /learned candidates need a segmenter model/);
});

test('registry: io/read.ts dispatches a NIfTI to the registered reader (round trip)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctscreen-registry-'));
  try {
    const { volume } = blobVolume();
    const file = join(dir, 'v.nii.gz');
    await writeNifti(volume, file);
    const r = await readVolumeWithReport(file);
    assert.equal(r.kind, 'nifti');
    assert.deepEqual(r.volume.dims, volume.dims);
    assert.deepEqual(Array.from(r.volume.data), Array.from(volume.data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
