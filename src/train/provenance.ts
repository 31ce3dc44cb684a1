/**
 * What made a model, for its card: the commit, and by name the uncommitted files under src/ and
 * training/ (the code that trains). Several engineers share the tree, so "+uncommitted" alone
 * would flag their unrelated edits too.
 *
 *   describeCommit(head, porcelain): string     pure, tested
 *   gitCommit(): string                         this checkout's, 'unknown' outside git
 */
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../models/load-model.ts';

/** Uncommitted files listed by name in the card's commit field; more are counted. */
const MAX_LISTED_UNCOMMITTED = 6;

export function describeCommit(head: string, porcelain: string): string {
  const files = porcelain.split('\n').filter((l) => l.trim()).map((l) => l.slice(3).trim());
  if (files.length === 0) return head;
  const listed = files.slice(0, MAX_LISTED_UNCOMMITTED).join(', ');
  const more = files.length > MAX_LISTED_UNCOMMITTED ? ` and ${files.length - MAX_LISTED_UNCOMMITTED} more` : '';
  return `${head} with uncommitted changes in ${listed}${more}`;
}

export function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const porcelain = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'src', 'training'], { cwd: REPO_ROOT, encoding: 'utf8' });
    return describeCommit(head, porcelain);
  } catch {
    return 'unknown';
  }
}
