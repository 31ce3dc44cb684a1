import type { Command } from 'commander';
import { ctscreenVersion } from '../../core/version.ts';
import type { CliIo } from '../main.ts';

export function registerVersion(program: Command, _io: CliIo): void {
  program.version(ctscreenVersion(), '-V, --version');
}
