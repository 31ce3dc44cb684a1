import { Command, CommanderError } from 'commander';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USER, exitCodeOf } from '../core/error-codes.ts';
import { isCtscreenError } from '../core/errors.ts';
import { commands, type CommandEntry } from './commands/index.ts';
import { registerVersion } from './commands/version.ts';

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

/**
 * The commands `argv` needs: the one it names, none for a bare `--version`, all of them otherwise (help,
 * no command, an unknown or misspelt one, so commander can list them or suggest the nearest).
 * Global options take no value, so the first word not starting with '-' is the command.
 */
export function commandsFor(argv: readonly string[] | undefined, entries: readonly CommandEntry[] = commands): readonly CommandEntry[] {
  if (argv === undefined) return entries;
  const word = argv.find((a) => !a.startsWith('-'));
  const named = word === undefined ? undefined : entries.find((e) => e.name === word);
  if (named) return [named];
  if (word === undefined && argv.some((a) => a === '-V' || a === '--version')) return [];
  return entries;
}

/** The program with the commands `argv` needs loaded (all of them without `argv`). */
export async function buildProgram(io: CliIo = defaultIo, argv?: readonly string[]): Promise<Command> {
  const program = new Command('ctscreen')
    .description('Screen chest CT for COVID-19 pneumonia (research software; not a diagnostic device)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();
  registerVersion(program, io);
  const registers = await Promise.all(commandsFor(argv).map((e) => e.load()));
  for (const register of registers) register(program, io);
  return program;
}

/** Runs the CLI in-process (tests call this) and returns the exit code instead of exiting. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const program = await buildProgram(io, argv);
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
