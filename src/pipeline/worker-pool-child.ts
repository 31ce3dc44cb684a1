/**
 * One worker-pool child process: loads the models ONCE (openScreener), then screens the cases the
 * parent sends, one at a time, and writes their outputs. A case that fails is answered with its error
 * and the child carries on. It exits when the parent goes away (IPC disconnect), so a killed server
 * leaves no orphan screening jobs behind.
 */
import { httpStatusOf } from '../core/error-codes.ts';
import { isCtscreenError } from '../core/errors.ts';
import { openScreener, type Screener } from './run-screening.ts';
import type { PoolErrorInfo, PoolReply, PoolRequest } from './worker-pool-protocol.ts';
import type { CandidateGeneratorId } from '../candidates/types.ts';

function send(m: PoolReply): void {
  process.send?.(m);
}

export function errorInfo(e: unknown): PoolErrorInfo {
  if (isCtscreenError(e)) return { message: e.message, code: e.code, userFacing: true, kind: e.name, http: httpStatusOf(e) };
  const err = e as Error;
  return { message: err?.message ?? String(e), userFacing: false, http: httpStatusOf(e) };
}

let ready: Promise<Screener> | undefined;

async function init(m: PoolRequest & { type: 'init' }): Promise<void> {
  ready = openScreener(m.load);
  try {
    const s = await ready;
    send({ type: 'ready', candidates: s.candidates, warnings: [...s.warnings] });
  } catch (e) {
    send({ type: 'fatal', error: errorInfo(e) });
  }
}

async function runTask(m: PoolRequest & { type: 'task' }): Promise<void> {
  const t0 = Date.now();
  try {
    if (!ready) throw new Error('worker-pool child got a task before init');
    const screener = await ready;
    const { task } = m.task;
    const r = await screener.screen(
      { path: m.task.path, read: m.task.read },
      { ...task, candidates: task.candidates as CandidateGeneratorId | undefined, onProgress: (event) => send({ type: 'progress', id: m.id, event }) },
    );
    send({ type: 'done', id: m.id, ms: Date.now() - t0, report: r.report, outputs: r.outputs });
  } catch (e) {
    send({ type: 'done', id: m.id, ms: Date.now() - t0, error: errorInfo(e) });
  }
}

process.on('message', (m: PoolRequest) => {
  if (m.type === 'init') void init(m);
  else if (m.type === 'task') void runTask(m);
  else if (m.type === 'exit') process.disconnect?.();
});
process.on('disconnect', () => process.exit(0));
