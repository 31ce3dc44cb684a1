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
  { id: 'dicom', description: 'DICOM CT series: a folder (searched recursively), a .zip of one, or one file (src/io/dicom.ts)' },
  { id: 'nifti', description: 'NIfTI-1 volume, .nii or .nii.gz; read and write (src/io/nifti.ts)' },
  { id: 'image-stack', description: 'folder of 8-bit PNG/JPEG slices, or one image, as pseudo-HU through a declared window (src/io/image-stack.ts)' },
];

export const models: readonly ModelEntry[] = [
];

export const outputFormats: readonly OutputFormatEntry[] = [
];
