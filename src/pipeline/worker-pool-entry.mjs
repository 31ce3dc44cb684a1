// Worker-pool child bootstrap: a forked process started from a plain .mjs file does not inherit the
// parent's tsx loader hooks, so it registers tsx itself, then loads the child.
import { register } from 'tsx/esm/api';

register();
await import('./worker-pool-child.ts');
