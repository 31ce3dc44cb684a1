/**
 * Worker thread body of a WorkerSession (./worker-session.ts): creates ONE onnxruntime session from
 * workerData, says `created` (or `failed`), then runs the feeds posted to it, one at a time, in the
 * order they came. Kept to onnxruntime and plain data so the thread boots fast.
 */
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import type { WireData, WireTensor, WorkerSessionData, WorkerSessionReply, WorkerSessionRun } from './worker-session.ts';

const port = parentPort;
if (!port) throw new Error('session-worker.ts must run in a worker thread');
const { onnxPath, sessionOptions } = workerData as WorkerSessionData;

const say = (m: WorkerSessionReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function serve(session: ort.InferenceSession): Promise<void> {
  say({ type: 'created', inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
  // runs are chained so a second feed posted while the first runs waits for it (the order is the caller's)
  let last: Promise<void> = Promise.resolve();
  port!.on('message', (m: WorkerSessionRun) => {
    last = last.then(async () => {
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
        const out = await session.run(feeds);
        const outputs: Record<string, WireTensor> = {};
        const transfer: ArrayBuffer[] = [];
        for (const [name, t] of Object.entries(out)) {
          if (t.type === 'string') throw new TypeError(`output '${name}' is a string tensor, which a worker session does not return`);
          // a copy the thread owns (onnxruntime's own buffer may not be detachable), moved, not cloned
          const data = (t.data as WireData).slice();
          outputs[name] = { type: t.type, data, dims: [...t.dims] };
          transfer.push(data.buffer as ArrayBuffer);
        }
        say({ type: 'ran', id: m.id, outputs }, transfer);
      } catch (e) {
        say({ type: 'ran', id: m.id, error: firstLine(e) });
      }
    });
  });
}

// a file onnxruntime cannot load is reported, and the thread ends (nothing listens for runs)
await ort.InferenceSession.create(onnxPath, sessionOptions).then(serve, (e: unknown) => say({ type: 'failed', message: firstLine(e) }));
