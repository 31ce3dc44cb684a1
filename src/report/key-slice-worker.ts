/**
 * Worker thread body of key-slice-renderer.ts: renders a report's key slices with renderKeySlice, the
 * same function the main thread would call, on volumes that hold only the key slices' planes (the
 * rest is zeros the renderer never reads), so the pictures are byte for byte the inline ones.
 */
import { parentPort } from 'node:worker_threads';
import type { Volume } from '../core/volume.ts';
import { renderKeySlice } from './key-slices.ts';
import type { KeySliceJob, KeySliceReply } from './key-slice-renderer.ts';

const port = parentPort;
if (!port) throw new Error('key-slice-worker.ts must run in a worker thread');

const ARRAYS = { Int16Array, Float32Array, Uint8Array } as const;

/** A zero array of the volume's size with the given planes filled in (calloc'd: untouched planes cost no memory). */
function sparse<T extends Int16Array | Float32Array | Uint8Array | Uint32Array>(make: new (n: number) => T, n: number, plane: number, zs: readonly number[], planes: readonly T[]): T {
  const out = new make(n);
  zs.forEach((z, k) => out.set(planes[k], plane * z));
  return out;
}

port.on('message', (job: KeySliceJob) => {
  let reply: KeySliceReply;
  try {
    const [nx, ny, nz] = job.geometry.dims;
    const plane = nx * ny;
    const n = plane * nz;
    const data = sparse(ARRAYS[job.dataType] as new (n: number) => Int16Array | Float32Array | Uint8Array, n, plane, job.slices, job.hu);
    const volume = { ...job.geometry, data } as Volume;
    const lungMask = job.lung ? sparse(Uint8Array, n, plane, job.slices, job.lung) : null;
    const candidateLabels = job.labels ? sparse(Uint32Array, n, plane, job.slices, job.labels) : null;
    const options = { volume, lungMask, candidateLabels, regions: job.regions, classes: job.classes };
    const figures = job.slices.map((z) => {
      const f = renderKeySlice(options, z, job.crop);
      return { ...f, png: new Uint8Array(f.png.buffer, f.png.byteOffset, f.png.byteLength) };
    });
    reply = { id: job.id, figures };
  } catch (e) {
    reply = { id: job.id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
