import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { CliIo } from '../main.ts';

export function registerVersion(program: Command, _io: CliIo): void {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  program.version(pkg.version, '-V, --version');
}
