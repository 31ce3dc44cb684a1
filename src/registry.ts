/**
 * The one registry (STYLE §5): readers, models and output formats. It drives the CLI's choices
 * (`--candidates`, `--format`, ...) and `ctscreen models`. Each stage adds its entries here;
 * nothing else keeps a parallel list.
 */

export interface ReaderEntry {
  id: string;
  description: string;
}

export interface ModelEntry {
  id: string;
  /** Which pipeline stage the model serves. */
  stage: 'candidates' | 'classifier';
  description: string;
  /** Paths relative to the repository root. */
  onnxPath: string;
  cardPath: string;
}

export interface OutputFormatEntry {
  id: string;
  description: string;
  fileName: string;
}

export const readers: readonly ReaderEntry[] = [
];

export const models: readonly ModelEntry[] = [
];

export const outputFormats: readonly OutputFormatEntry[] = [
];
