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

export interface DecisionModelEntry {
  id: string;
  description: string;
  /** Path relative to the repository root. */
  cardPath: string;
}

/** What `ctscreen screen --output-type` chooses among; 'json' (report.json) is always written. */
export type OutputType = 'json' | 'nifti' | 'html' | 'dicom' | 'volume';

export interface OutputFormatEntry {
  id: string;
  description: string;
  /** Relative to the output folder; '{k}' numbers one file per key slice. */
  fileName: string;
  outputType: OutputType;
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

/** Case-decision models (decide/calibrated.ts); the first is the default of `--decision calibrated`. */
export const decisionModels: readonly DecisionModelEntry[] = [
  { id: 'case-decision', description: 'calibrated case decision: region infection probability, case infection probability from the strongest region and the lesion volume, operating point with an indeterminate band (npm run train:decision)', cardPath: 'models/case-decision.card.json' },
];

export const outputFormats: readonly OutputFormatEntry[] = [
  { id: 'report-json', outputType: 'json', description: 'validated case report, schema in src/core/report-schema.ts (ctscreen screen --out; always written)', fileName: 'report.json' },
  { id: 'report-html', outputType: 'html', description: 'self-contained HTML report for a clinician: decision, key slices, regions, lungs (src/report/html-report.ts)', fileName: 'report.html' },
  { id: 'candidate-mask', outputType: 'nifti', description: 'candidate regions as NIfTI labels on the input grid, k = region Rk (src/report/write-outputs.ts)', fileName: 'candidates.nii.gz' },
  { id: 'lesion-mask', outputType: 'nifti', description: "lesion mask as NIfTI on the input grid (0/1): the segmenter's probability at its Dice-optimal threshold, inside the lungs; lung involvement is measured on it (src/candidates/lesion-mask.ts)", fileName: 'lesions.nii.gz' },
  { id: 'lung-mask', outputType: 'nifti', description: 'lung mask as NIfTI on the input grid, 1 right / 2 left (src/report/write-outputs.ts)', fileName: 'lungs.nii.gz' },
  { id: 'ct-volume', outputType: 'volume', description: 'the CT itself in HU as int16 NIfTI on the input grid, for viewers (the server writes it; src/report/write-outputs.ts)', fileName: 'volume.nii.gz' },
  { id: 'dicom-seg', outputType: 'dicom', description: 'DICOM Segmentation (binary): right/left lung, lesion mask, candidate regions by voted class; a new series in the source study (src/report/writers/dicom-seg.ts)', fileName: 'dicom/seg.dcm' },
  { id: 'dicom-sr', outputType: 'dicom', description: 'DICOM Comprehensive 3D SR, TID 1500 measurement report of the decision, Noisy-OR, regions and lungs (src/report/writers/dicom-sr.ts)', fileName: 'dicom/sr.dcm' },
  { id: 'dicom-sc', outputType: 'dicom', description: 'DICOM Secondary Capture of each key slice with overlays, for PACS without SEG display (src/report/writers/dicom-sc.ts)', fileName: 'dicom/sc-{k}.dcm' },
];

/** `--output-type` choices: every output type but json, which is always written. */
export const OUTPUT_TYPE_CHOICES: readonly Exclude<OutputType, 'json'>[] = [...new Set(outputFormats.map((f) => f.outputType))].filter((t): t is Exclude<OutputType, 'json'> => t !== 'json');
/** What `ctscreen screen --out` writes without `--output-type`: today's files. */
export const DEFAULT_OUTPUT_TYPES: readonly OutputType[] = ['nifti', 'html'];
