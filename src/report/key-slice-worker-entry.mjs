// Worker bootstrap: registers tsx in this thread (loader hooks of the parent do not reach worker
// threads in Node 20), then loads the TypeScript worker. Resolving tsx from this file, not the
// current directory, keeps it working when ctscreen runs from anywhere.
import { register } from 'tsx/esm/api';

register();
await import('./key-slice-worker.ts');
