/**
 * Server logs: one JSON line per event on stderr. Only job ids, sizes, timings, states and error
 * codes go in; never a file name, a DICOM header value or an error message (those can name a patient).
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type Logger = (event: string, fields?: LogFields) => void;

export function jsonLogger(write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  return (event, fields = {}) => write(`${JSON.stringify({ t: new Date().toISOString(), event, ...fields })}\n`);
}

export const silentLogger: Logger = () => {};
