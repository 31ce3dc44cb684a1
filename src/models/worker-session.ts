/**
 * An onnxruntime session living in its own worker thread, with the session's run() API:
 *
 *   createWorkerSession(onnxPath, sessionOptions): Promise<WorkerSession>
 *   session.run(feeds): Promise<Record<string, Tensor>>     feeds are copied to the thread, outputs moved back
 *   session.release(): Promise<void>                          ends the thread
 *
 * Why: onnxruntime-node runs inference synchronously on the calling thread (its backend only defers
 * the call with setImmediate), so a session on the main thread blocks the JavaScript that prepares
 * the next input. In a worker the network of segmenter batch k runs while the main thread tiles
 * batch k + 1 and pastes batch k − 1 (candidates/sliding-window.ts keeps two batches in flight).
 *
 * The thread never keeps the process alive on its own: it is referenced only while a run (or the
 * creation) is pending, so a CLI exits as soon as its work is done. A thread that dies fails every
 * pending and later run with an Error naming the model file (a bug or the machine's limits, not the user's input).
 */
import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';

/** Typed-array tensor data (string tensors do not cross threads here). */
export type WireData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** A tensor as plain data, as it crosses the thread boundary. */
export interface WireTensor {
  type: string;
  data: WireData;
  dims: readonly number[];
}

/** What the thread is started with. */
export interface WorkerSessionData {
  onnxPath: string;
  sessionOptions: ort.InferenceSession.SessionOptions;
}

export interface WorkerSessionRun {
  id: number;
  feeds: Record<string, WireTensor>;
}

export type WorkerSessionReply =
  | { type: 'created'; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; message: string }
  | { type: 'ran'; id: number; outputs?: Record<string, WireTensor>; error?: string };

interface Pending {
  resolve: (out: Record<string, ort.Tensor>) => void;
  reject: (e: Error) => void;
}

export interface WorkerSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/**
 * Starts the thread and creates the session there. Rejects with an Error carrying onnxruntime's
 * first message line when the file cannot be loaded (load-model.ts turns it into a ModelError).
 */
export function createWorkerSession(onnxPath: string, sessionOptions: ort.InferenceSession.SessionOptions): Promise<WorkerSession> {
  const data: WorkerSessionData = { onnxPath, sessionOptions };
  const worker = new Worker(new URL('./session-worker-entry.mjs', import.meta.url), { workerData: data });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | null = null;
  let released = false;

  // referenced exactly while something waits on the thread
  const settle = () => {
    if (pending.size === 0) worker.unref();
  };
  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    settle();
  };

  return new Promise<WorkerSession>((resolveCreate, rejectCreate) => {
    let created = false;
    worker.on('error', (e) => {
      const err = new Error(`onnxruntime worker thread for ${onnxPath} failed: ${e.message}`, { cause: e });
      if (!created) rejectCreate(err);
      fail(err);
    });
    worker.on('exit', (code) => {
      const err = new Error(`onnxruntime worker thread for ${onnxPath} ${released ? 'was released' : `exited (code ${code})`}`);
      if (!created) rejectCreate(err);
      fail(err);
    });
    worker.on('message', (m: WorkerSessionReply) => {
      if (m.type === 'failed') {
        rejectCreate(new Error(m.message));
        return;
      }
      if (m.type === 'created') {
        created = true;
        settle();
        resolveCreate({
          inputNames: m.inputNames,
          outputNames: m.outputNames,
          run(feeds) {
            if (failure) return Promise.reject(failure);
            const id = nextId++;
            const wire: Record<string, WireTensor> = {};
            for (const [name, t] of Object.entries(feeds)) {
              if (t.type === 'string') return Promise.reject(new TypeError(`feed '${name}' is a string tensor, which a worker session does not take`));
              wire[name] = { type: t.type, data: t.data as WireData, dims: t.dims };
            }
            const p = new Promise<Record<string, ort.Tensor>>((resolve, reject) => pending.set(id, { resolve, reject }));
            worker.ref();
            // structured clone copies the feeds: the caller may refill its buffers at once
            worker.postMessage({ id, feeds: wire } satisfies WorkerSessionRun);
            return p;
          },
          async release() {
            released = true;
            await worker.terminate();
          },
        });
        return;
      }
      const p = pending.get(m.id);
      pending.delete(m.id);
      settle();
      if (!p) return;
      if (m.error !== undefined || !m.outputs) {
        p.reject(new Error(m.error ?? 'onnxruntime worker replied without outputs'));
        return;
      }
      const out: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(m.outputs)) out[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
      p.resolve(out);
    });
  });
}
