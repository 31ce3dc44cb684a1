import type { Command } from 'commander';
import type { CliIo } from '../main.ts';
import { join } from 'node:path';
import { readDecisionCard, type DecisionCard } from '../../models/decision-card.ts';
import { listModels } from '../../models/list-models.ts';
import { REPO_ROOT } from '../../models/load-model.ts';
import { candidateGenerators, decisionModels } from '../../registry.ts';

/** Each registered decision model's card, or why it cannot be read (e.g. not trained yet). */
function listDecisionModels(): { id: string; description: string; card: DecisionCard | null; problem: string | null }[] {
  return decisionModels.map((e) => {
    try {
      return { id: e.id, description: e.description, card: readDecisionCard(join(REPO_ROOT, e.cardPath)), problem: null };
    } catch (err) {
      return { id: e.id, description: e.description, card: null, problem: (err as Error).message };
    }
  });
}

/** `ctscreen models [--json]`: the registry's models and their cards (STYLE §5). */
export function registerModels(program: Command, io: CliIo): void {
  program
    .command('models')
    .description('list the registered models with their model cards (class list, input, metrics, licence)')
    .option('--json', 'print the listing as JSON (cards included)')
    .action((opts: { json?: boolean }) => {
      const rows = listModels();
      const decisions = listDecisionModels();
      if (opts.json) {
        const networks = rows.map((r) => ({ id: r.entry.id, stage: r.entry.stage, status: r.status, onnxPath: r.entry.onnxPath, problem: r.problem, card: r.card }));
        const decision = decisions.map((d) => ({ id: d.id, stage: 'decision', status: d.card ? 'ready' : 'not-trained', problem: d.problem, card: d.card }));
        io.stdout(`${JSON.stringify([...networks, ...decision], null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        io.stdout('no models registered\n');
        return;
      }
      for (const r of rows) {
        io.stdout(`${r.entry.id}  [${r.entry.stage}]  ${r.status}\n  ${r.entry.description}\n`);
        if (r.card) {
          const c = r.card;
          io.stdout(`  v${c.version}, ${c.task}, classes ${c.classSpec.labels.join('/')} (infections: ${c.classSpec.infectionLabels.join(', ')}), T=${c.temperature.toFixed(3)}\n`);
          io.stdout(`  ${c.onnx.file}: ${(c.onnx.bytes / 2 ** 20).toFixed(2)} MiB, opset ${c.onnx.opset}; trained ${c.training.trainedAt.slice(0, 10)} at ${c.training.gitCommit.slice(0, 10)}\n`);
          const summary = Object.entries(c.metrics).filter(([, v]) => typeof v === 'number').slice(0, 4);
          if (summary.length) io.stdout(`  ${summary.map(([k, v]) => `${k}=${(v as number).toFixed(3)}`).join(', ')}\n`);
          io.stdout(`  licence: ${c.licence}\n`);
        }
        if (r.problem) io.stdout(`  ${r.problem}\n`);
      }
      for (const d of decisions) {
        io.stdout(`${d.id}  [decision]  ${d.card ? 'ready' : 'not-trained'}\n  ${d.description}\n`);
        if (d.card) {
          const op = d.card.parameters.operatingPoint;
          const f = d.card.fittedFor;
          io.stdout(`  v${d.card.version}, fitted for ${f.segmenter ? `${f.segmenter.id} ${f.segmenter.version} + ` : ''}${f.classifier.id} ${f.classifier.version} (${f.candidates} candidates); infected at P ≥ ${op.infectedAtOrAbove.toFixed(3)}, no infection below ${op.noInfectionBelow.toFixed(3)}${d.card.parameters.strongRegion ? ` (indeterminate instead when a region reaches ${d.card.parameters.strongRegion.indeterminateAtOrAbove.toFixed(3)} with ≥ ${d.card.parameters.strongRegion.minLesionMl} mL of lesion mask)` : ''}${d.card.parameters.dependentRule ? `; an infected P is indeterminate when ≥ ${(100 * d.card.parameters.dependentRule.fractionAtOrAbove).toFixed(0)} % of the lesion mask lies within ${d.card.parameters.dependentRule.bandMm} mm of the dependent pleura` : ''}\n`);
          const rates = Object.entries(d.card.validation.allCases).filter(([, r]) => r.value !== null).slice(0, 3);
          io.stdout(`  leave-one-patient-out on ${d.card.cases.filter((c) => !c.reconstruction).length} cases as acquired: ${rates.map(([k, r]) => `${k} ${r.value!.toFixed(3)} (n=${r.n})`).join(', ')}\n`);
        }
        if (d.problem) io.stdout(`  ${d.problem}\n`);
      }
      io.stdout(`candidate generators (--candidates): ${candidateGenerators.map((g) => g.id).join(', ')}\n`);
      for (const g of candidateGenerators) io.stdout(`  ${g.id}${g.needs ? ` (runs the ${g.needs})` : ''}: ${g.description}\n`);
      io.stdout('Research software, not a diagnostic device.\n');
    });
}
