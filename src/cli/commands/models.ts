import type { Command } from 'commander';
import type { CliIo } from '../main.ts';
import { listModels } from '../../models/list-models.ts';

/** `ctscreen models [--json]`: the registry's models and their cards (STYLE §5). */
export function registerModels(program: Command, io: CliIo): void {
  program
    .command('models')
    .description('list the registered models with their model cards (class list, input, metrics, licence)')
    .option('--json', 'print the listing as JSON (cards included)')
    .action((opts: { json?: boolean }) => {
      const rows = listModels();
      if (opts.json) {
        io.stdout(`${JSON.stringify(rows.map((r) => ({ id: r.entry.id, stage: r.entry.stage, status: r.status, onnxPath: r.entry.onnxPath, problem: r.problem, card: r.card })), null, 2)}\n`);
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
      io.stdout('Research software, not a diagnostic device.\n');
    });
}
