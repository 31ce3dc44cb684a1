import { Command, CommanderError } from 'commander';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USER, exitCodeOf } from '../core/error-codes.ts';
import { isCtscreenError } from '../core/errors.ts';
import { commands } from './commands/index.ts';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** Exit codes: 0 ok, 1 internal error (a bug), 2 user error (bad input, missing model, usage); see core/error-codes.ts. */
export { EXIT_INTERNAL, EXIT_OK, EXIT_USER };

export function buildProgram(io: CliIo = defaultIo): Command {
  const program = new Command('ctscreen')
    .description('Screen chest CT for COVID-19 pneumonia (research software; not a diagnostic device)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();
  for (const register of commands) register(program, io);
  return program;
}

/** Runs the CLI in-process (tests call this) and returns the exit code instead of exiting. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT_OK : EXIT_USER;
    }
    if (isCtscreenError(e) && exitCodeOf(e) === EXIT_USER) {
      io.stderr(`ctscreen: error: ${e.message.replace(/\s*\n\s*/g, ' | ')}\n`);
      return EXIT_USER;
    }
    const err = e as Error;
    io.stderr(`ctscreen: internal error (please report): ${err?.message ?? String(e)}\n`);
    if (process.env.CTSCREEN_DEBUG) io.stderr(`${err?.stack ?? ''}\n`);
    return EXIT_INTERNAL;
  }
}
