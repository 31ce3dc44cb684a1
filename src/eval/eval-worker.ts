/**
 * One `ctscreen eval` worker process: loads the models ONCE, then screens the cases the parent sends
 * (one at a time) and writes each case's outputs. A case that fails is answered with its error;
 * the worker carries on. Messages are plain JSON over the IPC channel (see EvalWorkerMessage).
 */
import { isCtscreenError } from '../core/errors.ts';
import type { CaseReport } from '../core/report-schema.ts';
import { loadScreeningModels } from '../pipeline/load-models.ts';
import { screenCase } from '../pipeline/screen.ts';
import { writeScreeningOutputs } from '../report/write-outputs.ts';
import type { EvalCaseOutcome, EvalWorkerInit, EvalWorkerReply, EvalWorkerRequest } from './eval-protocol.ts';

function send(m: EvalWorkerReply): void {
  process.send?.(m);
}

function errorInfo(e: unknown): { message: string; code?: string; userFacing: boolean } {
  if (isCtscreenError(e)) return { message: e.message, code: e.code, userFacing: true };
  const err = e as Error;
  return { message: err?.message ?? String(e), userFacing: false };
}

function outcome(report: CaseReport): EvalCaseOutcome {
  return {
    decision: report.decision.label,
    rule: report.decision.rule,
    confidence: report.decision.confidence,
    mode: report.decision.mode,
    ...(report.decision.infectionProbability !== undefined ? { infectionProbability: report.decision.infectionProbability } : {}),
    ...(report.decision.typeProbabilities !== undefined ? { typeProbabilities: report.decision.typeProbabilities } : {}),
    infections: report.infections.map((s) => ({ label: s.label, noisyOr: s.noisyOr, exportedConfidence: s.exportedConfidence })),
    regions: report.regions.length,
    keptRegions: report.regions.filter((r) => r.kept).length,
    warnings: report.warnings,
    totalMs: report.timingsMs.total ?? 0,
  };
}

let ready: Promise<Awaited<ReturnType<typeof loadScreeningModels>>> | undefined;

async function init(m: EvalWorkerInit): Promise<void> {
  ready = loadScreeningModels({ classifier: m.classifier, segmenter: m.segmenter, candidates: m.candidates, intraOpThreads: m.intraOpThreads, decision: m.decision });
  try {
    const loaded = await ready;
    send({ type: 'ready', candidates: loaded.candidates, warnings: loaded.warnings });
  } catch (e) {
    send({ type: 'fatal', error: errorInfo(e) });
  }
}

async function screenOne(m: EvalWorkerRequest & { type: 'case' }): Promise<void> {
  const t0 = Date.now();
  try {
    if (!ready) throw new Error('eval worker got a case before init');
    const loaded = await ready;
    const { report, artifacts } = await screenCase(
      { path: m.path, read: { workers: 0, limits: m.limits } },
      { models: loaded.models, candidates: loaded.candidates, maxCandidates: m.maxCandidates, warnings: loaded.warnings, decision: loaded.models.decision ? 'calibrated' : 'paper' },
    );
    await writeScreeningOutputs({ outDir: m.outDir, report, artifacts });
    send({ type: 'done', id: m.id, ms: Date.now() - t0, outcome: outcome(report) });
  } catch (e) {
    send({ type: 'done', id: m.id, ms: Date.now() - t0, error: errorInfo(e) });
  }
}

// one case at a time: the parent sends the next one only after the answer
process.on('message', (m: EvalWorkerRequest) => {
  if (m.type === 'init') void init(m);
  else if (m.type === 'case') void screenOne(m);
  else if (m.type === 'exit') process.disconnect?.();
});
