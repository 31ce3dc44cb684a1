/** Worker thread body: decodes slices posted by DecodePool (./pool.ts) and posts HU back. */
import { parentPort } from 'node:worker_threads';
import { isCtscreenError } from '../../core/errors.ts';
import { decodeSliceToHu, type SliceJob } from './decode.ts';

const port = parentPort;
if (!port) throw new Error('decode-worker.ts must run in a worker thread');

port.postMessage({ ready: true });
port.on('message', (msg: { id: number; job: SliceJob }) => {
  decodeSliceToHu(msg.job).then(
    (data) => port.postMessage({ id: msg.id, data }, [data.buffer as ArrayBuffer]),
    (e: unknown) =>
      port.postMessage({
        id: msg.id,
        error: { message: e instanceof Error ? e.message : String(e), code: isCtscreenError(e) ? e.code : undefined, path: isCtscreenError(e) ? e.path : undefined },
      }),
  );
});
