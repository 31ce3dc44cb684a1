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
  { id: 'candidates-segmenter', stage: 'candidates', description: 'candidate-region segmenter: 2.5D U-Net lesion probability, thresholded low, 3D components → cubes (paper §2.3, §3.3.2)', onnxPath: 'models/candidates-segmenter.onnx', cardPath: 'models/candidates-segmenter.card.json' },
  { id: 'classifier-m2', stage: 'classifier', description: 'location-attention patch classifier (ResNet-18/256-d + relative distance-from-edge, paper §2.5 M2)', onnxPath: 'models/classifier-m2.onnx', cardPath: 'models/classifier-m2.card.json' },
  { id: 'classifier-m1', stage: 'classifier', description: 'patch classifier without location attention (paper §2.5 M1, ablation)', onnxPath: 'models/classifier-m1.onnx', cardPath: 'models/classifier-m1.card.json' },
];

export const outputFormats: readonly OutputFormatEntry[] = [
  { id: 'report-json', description: 'validated case report, schema in src/core/report-schema.ts (ctscreen screen --out)', fileName: 'report.json' },
  { id: 'report-html', description: 'self-contained HTML report for a clinician: decision, key slices, regions, lungs (src/report/html-report.ts)', fileName: 'report.html' },
  { id: 'candidate-mask', description: 'candidate regions as NIfTI labels on the input grid, k = region Rk (src/report/write-outputs.ts)', fileName: 'candidates.nii.gz' },
  { id: 'lung-mask', description: 'lung mask as NIfTI on the input grid, 1 right / 2 left (src/report/write-outputs.ts)', fileName: 'lungs.nii.gz' },
  { id: 'ct-volume', description: 'the CT itself in HU as int16 NIfTI on the input grid, for viewers (server default; src/report/write-outputs.ts)', fileName: 'volume.nii.gz' },
];
