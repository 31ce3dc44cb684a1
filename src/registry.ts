/**
 * The one registry (STYLE §5): readers, candidate generators, models, decision models and output
 * formats, each entry with the function it stands for. It drives io/read.ts's dispatch, the
 * pipeline's candidate stage, the report writer, the CLI's choices (`--candidates`,
 * `--output-type`) and `ctscreen models`. Each stage adds its entries here; nothing else keeps a
 * parallel list.
 *
 * Entries load their function on first use (a dynamic import): stages import the registry (io/read.ts
 * dispatches through it, the report writer names its files from it), so a static import of every
 * stage here would load the whole pipeline into `ctscreen info` and tie the rooms in import cycles.
 */
import type { CandidateGeneratorId, CandidateInput, CandidateSet } from './candidates/types.ts';
import { ModelError } from './core/errors.ts';
import type { InputKind, ReadVolumeOptions, ReadVolumeResult } from './io/read.ts';
import type { SegmenterModel } from './pipeline/stages.ts';
import type { OutputContext, OutputFiles } from './report/write-outputs.ts';

export interface ReaderEntry {
  id: string;
  description: string;
  /** The input kinds (io/read.ts detectInputKind) this reader opens. */
  kinds: readonly InputKind[];
  read(path: string, kind: InputKind, options: ReadVolumeOptions): Promise<ReadVolumeResult>;
}

export interface CandidateGeneratorEntry {
  id: CandidateGeneratorId;
  description: string;
  /** The model the generator runs, when it needs one (loaded by the caller, passed in). */
  needs: 'segmenter' | null;
  /** The id the report's model refs give a generator without a model (with the ctscreen version). */
  methodId: string | null;
  generate(input: CandidateInput, options: { segmenter?: SegmenterModel; maxCandidates: number }): Promise<CandidateSet>;
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

/** The writer of one output type: writes its files of a screening and says which. */
export interface OutputWriterEntry {
  outputType: OutputType;
  /** Adds to the report (e.g. warnings): runs, in registry order, before the writers that do not, which run together. */
  amendsReport?: true;
  write(context: OutputContext): Promise<Partial<OutputFiles>>;
}

export const readers: readonly ReaderEntry[] = [
  {
    id: 'dicom',
    description: 'DICOM CT series: a folder (searched recursively), a .zip of one, or one file (src/io/dicom.ts)',
    kinds: ['dicom-folder', 'dicom-zip', 'dicom-file'],
    async read(path, kind, options) {
      const { readDicom } = await import('./io/dicom.ts');
      const container = kind === 'dicom-folder' ? 'folder' : kind === 'dicom-zip' ? 'zip' : 'file';
      const { volume, ...dicom } = await readDicom(path, { seriesUid: options.seriesUid, workers: options.workers, container, limits: options.limits });
      return { kind, volume, dicom };
    },
  },
  {
    id: 'nifti',
    description: 'NIfTI-1 volume, .nii or .nii.gz; read and write (src/io/nifti.ts)',
    kinds: ['nifti'],
    async read(path, kind, options) {
      const { readNifti } = await import('./io/nifti.ts');
      return { kind, volume: await readNifti(path, { limits: options.limits }) };
    },
  },
  {
    id: 'image-stack',
    description: 'folder of 8-bit PNG/JPEG slices, or one image, as pseudo-HU through a declared window (src/io/image-stack.ts)',
    kinds: ['image-stack', 'image'],
    async read(path, kind, options) {
      const { readImageAsPseudoHu, readImageStack } = await import('./io/image-stack.ts');
      const o = { windowHu: options.windowHu, spacingMm: options.spacingMm, limits: options.limits };
      return { kind, volume: kind === 'image' ? await readImageAsPseudoHu(path, o) : await readImageStack(path, o) };
    },
  },
];

/** Candidate generators (§2.3); the first is screening's default when its model is there. */
export const candidateGenerators: readonly CandidateGeneratorEntry[] = [
  {
    id: 'learned',
    description: "learned segmenter: 2.5D U-Net lesion probability at the card's low threshold (§3.3.2), 3D components → cubes (src/candidates/learned.ts)",
    needs: 'segmenter',
    methodId: null,
    async generate(input, { segmenter, maxCandidates }) {
      if (!segmenter) throw new ModelError('MODEL_MISSING', "learned candidates need a segmenter model; load one or use candidates 'classical'");
      const { learnedCandidates, onnxTilePredictor, segmenterSettings } = await import('./candidates/learned.ts');
      const st = segmenterSettings(segmenter.card);
      return learnedCandidates(input, { predict: onnxTilePredictor(segmenter), tileSize: st.tileSize, sliceOffsets: st.sliceOffsets, threshold: st.threshold, seedThreshold: st.seedThreshold, minVolumeMl: st.minVolumeMl, lesionThreshold: st.lesionThreshold, maxCandidates });
    },
  },
  {
    id: 'classical',
    description: 'classical HU band inside the lungs (ground glass to consolidation, −750…+100 HU), thin vessels removed by an in-plane opening; needs no model (src/candidates/classical.ts)',
    needs: null,
    methodId: 'classical-hu-bands',
    async generate(input, { maxCandidates }) {
      const { classicalCandidates } = await import('./candidates/classical.ts');
      return classicalCandidates(input, { maxCandidates });
    },
  },
];

/** `--candidates` choices (CLI, server, eval): the registered generators' ids. */
export const CANDIDATE_GENERATORS: readonly CandidateGeneratorId[] = candidateGenerators.map((g) => g.id);

/** The registered candidate generator of this id (a bug when there is none: callers check user input against CANDIDATE_GENERATORS). */
export function candidateGenerator(id: CandidateGeneratorId): CandidateGeneratorEntry {
  const entry = candidateGenerators.find((g) => g.id === id);
  if (!entry) throw new Error(`candidate generator '${id}' is not in the registry (src/registry.ts)`);
  return entry;
}

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

/**
 * The writer of each output type. dicom amends the report: the DICOM writers' warnings (e.g. a source
 * UID that is not a DICOM UID) join it before the others write it. The others are started together in
 * this order: the NIfTI writers first, so their gzip runs on the thread pool while the HTML is rendered.
 */
export const outputWriters: readonly OutputWriterEntry[] = [
  { outputType: 'dicom', amendsReport: true, write: async (c) => (await import('./report/write-outputs.ts')).writeDicomOutputType(c) },
  { outputType: 'nifti', write: async (c) => (await import('./report/write-outputs.ts')).writeMaskNiftis(c) },
  { outputType: 'volume', write: async (c) => (await import('./report/write-outputs.ts')).writeCtVolume(c) },
  { outputType: 'json', write: async (c) => (await import('./report/write-outputs.ts')).writeReportJson(c) },
  { outputType: 'html', write: async (c) => (await import('./report/write-outputs.ts')).writeReportHtml(c) },
];
