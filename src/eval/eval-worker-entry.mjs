// Eval worker bootstrap: a child process started by run-eval.ts registers tsx (loader hooks of the
// parent do not reach a forked process started from a plain .mjs file), then loads the worker.
import { register } from 'tsx/esm/api';

register();
await import('./eval-worker.ts');
