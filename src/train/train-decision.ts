/**
 * `npm run train:decision`: fits the calibrated case decision (decide/calibrated.ts) for the
 * committed segmenter and classifier, and writes models/case-decision.card.{json,md}.
 *
 *   1. screen every case of the manifest with the networks (learned candidates, the paper's rule),
 *      keeping each region's patch probabilities and the lesion-mask volume;
 *   2. features per case: logit of the strongest region's q_r = 1 − mean P(irrelevant), log(1 + lesion mL);
 *   3. leave-one-patient-out: fit the case model without each patient and predict it;
 *   4. the operating point from those held-out predictions (Youden's J, with an indeterminate band);
 *   5. the final model on every case; the card records parameters, every case's held-out P, and the
 *      screening rates both over all cases and over the patients no network was trained on.
 *
 * Usage: node --import tsx src/train/train-decision.ts [--manifest eval/shared-data-manifest.csv] [--models models]
 *        [--features training/work/decision/features.json]   (step 1's output, reused for the same networks and manifest)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INDETERMINATE, NO_INFECTION_FOUND } from '../core/report-schema.ts';
import { callCase, decideCalibrated, logit, regionInfectionEvidence, sigmoid, type CaseDecisionModel } from '../decide/calibrated.ts';
import type { PatchPrediction } from '../decide/types.ts';
import { readManifest, type Manifest } from '../eval/manifest.ts';
import { screeningRates, type Rate, type ScreeningRates } from '../eval/screening-rates.ts';
import { readTrainingSplits, splitMembership } from '../eval/training-split.ts';
import { DECISION_CARD_SCHEMA_VERSION, parseDecisionCard, renderDecisionCardMarkdown, type DecisionCard, type DecisionCaseRow } from '../models/decision-card.ts';
import { NON_COMMERCIAL_NOTICE, NOT_A_DIAGNOSTIC_DEVICE } from '../models/model-card.ts';
import { segmenterSettings } from '../candidates/learned.ts';
import { dependentShare } from '../lung/dependent-lung.ts';
import { loadScreeningModels } from '../pipeline/load-models.ts';
import { screenCase } from '../pipeline/screen.ts';
import { readInput } from '../pipeline/stages.ts';
import type { Volume } from '../core/volume.ts';
import { axialSlab, PARTIAL_SLAB_CLEAN_MARGIN_MM, PARTIAL_SLAB_MIN_INFECTED_MM, PARTIAL_SLAB_MM, PARTIAL_SLAB_STRIDE_MM, planPartialSlabs, thickReconstruction } from '../dataset/reconstruction.ts';
import { covidCtMdSliceLabels } from '../dataset/segmentation.ts';
import { balancedWeights, chooseOperatingPoint, chooseTypeThreshold, fitLogistic, leaveOneGroupOut } from './logistic.ts';

export const DECISION_L2 = 1;
/**
 * Half-width of the indeterminate band around the chosen threshold, in logit units (odds × / ÷ e^0.5 ≈ 1.65).
 * A design constant, not fitted. With 1 (odds × / ÷ e), the first value tried, the held-out P of both
 * normal001 (0.349) and RICORD (0.715) fell inside the band; the card records the held-out P of every case,
 * so a reader can see which cases sit near the thresholds.
 */
export const DECISION_BAND_LOGIT = 0.5;
export const DECISION_SEED = 1;
/** What the features file holds besides the cases as acquired (a changed recipe invalidates the cache). */
export const DECISION_RECONSTRUCTIONS = 'thick-slice (means of k slices, k · spacing ≤ 5 mm); partial slabs (40 mm every 20 mm) of the CTs with slice labels; dependent lesion fraction (10 mm)';
/**
 * 5.1.0's dependent-lung rule (decide/calibrated.ts), design constants, not fitted: a band of 10 mm
 * along the dependent pleura, and three quarters of the lesion mask. Measured before choosing them
 * (tmp script, segmenter v5 / classifier v6, 10 mm): normal001 under ctscreen robustness's strong
 * dependent band 0.90 (called COVID-19), LIDC-IDRI-0001 under it 0.70; the infected CTs P001 0.26,
 * cap001 0.05, RICORD 0.44, Radiopaedia 74560 0.09 and 75249 0.17.
 */
export const DECISION_DEPENDENT_RULE = { bandMm: 10, fractionAtOrAbove: 0.75 } as const;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface CaseFeatures {
  id: string;
  /** The manifest case's path (its network split is looked up from it). */
  path: string;
  /** A thick-slice reconstruction of the case (3.0.0), e.g. 'thick-4.0mm', or a partial slab (5.0.0), 'slab-40mm-z20 …'; absent: as acquired. */
  reconstruction?: string;
  group: string;
  label: string;
  infected: boolean;
  modelSplit: 'train' | 'validation' | 'none';
  regions: PatchPrediction[][];
  maxQ: number;
  lesionMl: number;
  /** 5.1.0: share of the lesion mask within DECISION_DEPENDENT_RULE.bandMm of the dependent pleura; null without lesion mask or side. */
  dependentFraction: number | null;
}

export interface TrainDecisionOptions {
  manifest: Manifest;
  modelsDir: string;
  onCase?: (id: string, done: number, total: number) => void;
  /** Features file (STYLE §6: every step leaves an inspectable file); reused when it was made by the same networks and manifest. */
  featuresFile?: string;
}

/**
 * Per-slice infected flags of a manifest case that has slice labels, on its voxel z, or null:
 * COVID-CT-MD cases (labels.csv beside the case folders; its normal001 rows are all uninfected).
 */
async function sliceLabelsOf(casePath: string, volume: Volume): Promise<boolean[] | null> {
  const parent = dirname(casePath);
  if (basename(parent) !== 'covid-ct-md' || !existsSync(join(parent, 'labels.csv'))) return null;
  const { infected, labelled } = await covidCtMdSliceLabels(dirname(parent), basename(casePath), volume);
  return labelled > 0 ? infected : null;
}

function fmtCount(r: Rate): string {
  return `${r.numerator}/${r.denominator}`;
}

function isSlab(f: CaseFeatures): boolean {
  return f.reconstruction?.startsWith('slab-') ?? false;
}

interface FeaturesFile {
  manifest: string;
  reconstructions: string;
  segmenterSha256: string;
  classifierSha256: string;
  cases: CaseFeatures[];
}

type CardRate = { value: number | null; ci95: [number, number] | null; n: number };

function rate(r: Rate): CardRate {
  return { value: r.value, ci95: r.ci95, n: r.denominator };
}

function ratesRecord(r: ScreeningRates | null): Record<string, CardRate> {
  if (!r) return {};
  return {
    [`${r.primarySensitivity.label} sensitivity`]: rate(r.primarySensitivity),
    'infection sensitivity': rate(r.infectionSensitivity),
    'no-infection specificity': rate(r.noInfectionSpecificity),
    'ECE of P(infected)': { value: r.ece?.value ?? null, ci95: null, n: r.ece?.cases ?? 0 },
    'indeterminate cases': { value: r.cases ? r.indeterminate / r.cases : null, ci95: null, n: r.cases },
  };
}

export async function trainDecision(options: TrainDecisionOptions): Promise<DecisionCard> {
  const loaded = await loadScreeningModels({ candidates: 'learned', decision: 'paper' });
  const { classifier, segmenter } = loaded.models;
  if (!segmenter) throw new Error('train:decision needs the learned segmenter');
  const spec = classifier.card.classSpec;
  const splits = readTrainingSplits(options.modelsDir);
  const key = { manifest: options.manifest.file, reconstructions: DECISION_RECONSTRUCTIONS, segmenterSha256: segmenter.card.onnx.sha256, classifierSha256: classifier.card.onnx.sha256 };
  let feats: CaseFeatures[] = [];
  const cached = options.featuresFile && existsSync(options.featuresFile) ? (JSON.parse(readFileSync(options.featuresFile, 'utf8')) as FeaturesFile) : null;
  if (cached && cached.manifest === key.manifest && cached.segmenterSha256 === key.segmenterSha256 && cached.classifierSha256 === key.classifierSha256 && cached.reconstructions === key.reconstructions && cached.cases.filter((f) => !f.reconstruction).length === options.manifest.cases.length) {
    feats = cached.cases;
  } else {
    let done = 0;
    for (const c of options.manifest.cases) {
      const { volume } = await readInput(c.path, { workers: 0 });
      // 3.0.0: each case as acquired and as its thick-slice reconstruction (means of k slices, ≤ 5 mm),
      // the reading the networks also trained on: the fit and operating point see both
      const thick = thickReconstruction(volume);
      const versions: Array<{ volume: Volume; reconstruction?: string; label?: string }> = [{ volume }, ...(thick ? [{ volume: thick.volume, reconstruction: thick.name }] : [])];
      // 5.0.0: partial slabs of the CTs with slice labels (COVID-CT-MD labels.csv): small-extent disease
      // and clean lung of the same patients (reconstruction.ts says why); ambiguous slabs are left out
      const sliceLabels = await sliceLabelsOf(c.path, volume);
      if (sliceLabels) {
        for (const slab of planPartialSlabs(sliceLabels, volume.spacingMm[2])) {
          if (slab.truth === 'ambiguous') continue;
          versions.push({
            volume: axialSlab(volume, slab.z0, slab.slices),
            reconstruction: `${slab.name} (${slab.infectedSlices}/${slab.slices} slices labelled infected)`,
            ...(slab.truth === 'clean' ? { label: NO_INFECTION_FOUND } : {}),
          });
        }
      }
      for (const { volume: vol, reconstruction, label: readingLabel } of versions) {
        const { report, artifacts } = await screenCase({ volume: vol }, { models: loaded.models, candidates: 'learned', decision: 'paper' });
        if (report.decision.label === 'not_screened') throw new Error(`case ${c.id}${reconstruction ? ` (${reconstruction})` : ''} was not screened (${report.decision.notScreenedReason}); fix or remove it from the manifest`);
        const regions = report.regions.map((r) => r.patches.map((p) => ({ probabilities: spec.labels.map((l) => p.probabilities[l]) })));
        const v = artifacts.volume;
        let lesionVoxels = 0;
        if (artifacts.lesionMask) for (let i = 0; i < artifacts.lesionMask.length; i++) lesionVoxels += artifacts.lesionMask[i];
        const dep = artifacts.lesionMask && artifacts.lungMask ? dependentShare(v, artifacts.lungMask, artifacts.lesionMask, DECISION_DEPENDENT_RULE.bandMm) : null;
        feats.push({
          id: reconstruction ? `${c.id} ${reconstruction}` : c.id,
          path: c.path,
          ...(reconstruction ? { reconstruction } : {}),
          group: c.id,
          label: readingLabel ?? c.label,
          infected: spec.infectionLabels.includes(readingLabel ?? c.label),
          modelSplit: 'none',
          regions,
          maxQ: regions.reduce((m, r, i) => Math.max(m, regionInfectionEvidence(r, spec, `case ${c.id} region ${i}`)), 0),
          lesionMl: (lesionVoxels * v.spacingMm[0] * v.spacingMm[1] * v.spacingMm[2]) / 1000,
          dependentFraction: dep ? dep.fraction : null,
        });
      }
      options.onCase?.(c.id, ++done, options.manifest.cases.length);
    }
    if (options.featuresFile) {
      mkdirSync(dirname(options.featuresFile), { recursive: true });
      writeFileSync(options.featuresFile, `${JSON.stringify({ ...key, cases: feats } satisfies FeaturesFile)}\n`);
    }
  }
  // splits are read fresh: they say which patients each network was trained on
  feats.forEach((f) => {
    const membership = splitMembership(f.path, splits);
    f.modelSplit = membership.some((m) => m.split === 'train') ? 'train' : membership.length ? 'validation' : 'none';
  });
  const x = feats.map((f) => [logit(f.maxQ), Math.log1p(f.lesionMl)]);
  const y = feats.map((f) => (f.infected ? 1 : 0));
  const groups = feats.map((f) => f.group);
  // partial slabs are evaluation only (4.0.0's card): fitted on, they taught nothing the features can
  // hold (cap001's slabs labelled clean score like P001's infected ones; reconstruction.ts), so the
  // model, its operating point and the type threshold come from whole CTs, and each slab is predicted
  // by the fold without its patient
  const evaluateOnly = feats.map(isSlab);
  const fitIdx = feats.map((_, i) => i).filter((i) => !evaluateOnly[i]);
  const heldOut = leaveOneGroupOut({ x, y, groups, l2: DECISION_L2, evaluateOnly });
  const op = chooseOperatingPoint({ p: fitIdx.map((i) => heldOut[i]), y: fitIdx.map((i) => y[i]), bandLogit: DECISION_BAND_LOGIT });
  const fitY = fitIdx.map((i) => y[i]);
  const fit = fitLogistic({ x: fitIdx.map((i) => x[i]), y: fitY, weights: balancedWeights(fitY), l2: DECISION_L2 });
  // 2.0.0: refitted for segmenter v3 (synthetic HU lesions, hysteresis) and classifier v4;
  // 3.0.0: for segmenter v4 and classifier v5 (thick-slice reconstructions), fitted on both readings;
  // 4.0.0: for segmenter v5 and classifier v6 (dependent density in training), the same procedure;
  // 5.0.0: the same fit, with the strong-region rule (a confident region makes a "no infection" P indeterminate);
  // 5.1.0: and the dependent-lung rule (a lesion mask along the dependent pleura makes an infected P indeterminate);
  // 6.0.0: refitted, the same procedure and rules, for classifier v7 (emphysema negatives in training)
  // 7.0.0: refitted, the same procedure and rules, for classifier v8 (simulated solid masses in training)
  // 8.0.0: refitted, the same procedure and rules, for segmenter v7 (96 training epochs) and classifier v9
  // 9.0.0: refitted, the same procedure and rules, for segmenter v8 (96 epochs, emphysema negatives) and classifier v10
  const version = '9.0.0';
  const model: CaseDecisionModel = {
    id: 'case-decision',
    version,
    region: { slope: 1, intercept: 0 },
    case: { intercept: fit.intercept, maxRegionLogit: fit.coefficients[0], lesionLog1pMl: fit.coefficients[1] },
    operatingPoint: { infectedAtOrAbove: op.infectedAtOrAbove, noInfectionBelow: op.noInfectionBelow },
  };
  // 2.0.0: the type threshold on the primary type's share of the infection evidence (shares do not
  // depend on the fit above, only on each case's regions), chosen on the labelled infected cases;
  // held out, each case is typed by a threshold chosen without its patient
  const primary = spec.infectionLabels.includes('covid19') ? 'covid19' : spec.infectionLabels[0];
  const typeShares = feats.map((f) => decideCalibrated({ regions: f.regions, spec, model, lesionMl: f.lesionMl }).typeProbabilities);
  const shares = typeShares.map((t) => t[primary]);
  // the type threshold is chosen on whole CTs (as acquired and thick) only
  const typed = feats.map((f, i) => ({ share: shares[i], primary: f.label === primary, infected: f.infected && !isSlab(f), group: f.group }));
  const typeFit = chooseTypeThreshold(typed.filter((c) => c.infected));
  if (typeFit) model.typeRule = { primary, primaryAtOrAbove: typeFit.threshold };
  // 5.0.0: the strong-region rule: beyond the strongest region of every lesion-free whole CT of the fit
  // by the indeterminate band's margin; held out, from the lesion-free CTs of the other patients
  const strongFrom = (idx: number[]) => {
    const neg = idx.filter((i) => !feats[i].infected).map((i) => logit(feats[i].maxQ));
    return neg.length ? sigmoid(Math.max(...neg) + DECISION_BAND_LOGIT) : undefined;
  };
  const strong = strongFrom(fitIdx);
  const minLesionMl = segmenterSettings(segmenter.card).minVolumeMl;
  if (strong !== undefined) model.strongRegion = { indeterminateAtOrAbove: strong, minLesionMl };
  model.dependentRule = { ...DECISION_DEPENDENT_RULE };
  const heldOutStrong = feats.map((f) => strongFrom(fitIdx.filter((i) => feats[i].group !== f.group)));
  const heldOutTypeThreshold = typed.map((c) => chooseTypeThreshold(typed.filter((o) => o.infected && o.group !== c.group))?.threshold);
  // held-out decisions: each case's LOPO probability through the operating point and the rules, with the
  // type and strong-region thresholds chosen without its patient
  const decided = feats.map((f, i) => {
    const t = heldOutTypeThreshold[i];
    const strongAt = heldOutStrong[i];
    return callCase({
      P: heldOut[i],
      maxRegionProbability: f.maxQ,
      lesionMl: f.lesionMl,
      typeProbabilities: typeShares[i],
      types: spec.infectionLabels,
      model: {
        operatingPoint: op,
        ...(t === undefined ? {} : { typeRule: { primary, primaryAtOrAbove: t } }),
        ...(strongAt === undefined ? {} : { strongRegion: { indeterminateAtOrAbove: strongAt, minLesionMl } }),
        dependentRule: DECISION_DEPENDENT_RULE,
      },
      dependentFraction: () => (f.dependentFraction === null ? null : { fraction: f.dependentFraction, assumedSupine: false }),
    }).label;
  });
  const rateCases = feats.map((f, i) => ({ label: f.label, predicted: decided[i], infectionProbability: heldOut[i] }));
  // rates: over the cases as acquired (one per patient), and separately over their thick reconstructions
  const acquiredIdx = feats.map((f, i) => (f.reconstruction ? -1 : i)).filter((i) => i >= 0);
  const thickIdx = feats.map((f, i) => (f.reconstruction && !isSlab(f) ? i : -1)).filter((i) => i >= 0);
  const slabIdx = feats.map((f, i) => (isSlab(f) ? i : -1)).filter((i) => i >= 0);
  const all = screeningRates({ cases: acquiredIdx.map((i) => rateCases[i]), infectionLabels: spec.infectionLabels, seed: DECISION_SEED });
  const thickRates = thickIdx.length ? screeningRates({ cases: thickIdx.map((i) => rateCases[i]), infectionLabels: spec.infectionLabels, seed: DECISION_SEED }) : null;
  const slabRates = slabIdx.length ? screeningRates({ cases: slabIdx.map((i) => rateCases[i]), infectionLabels: spec.infectionLabels, seed: DECISION_SEED }) : null;
  const unseenIdx = acquiredIdx.filter((i) => feats[i].modelSplit !== 'train');
  const unseen = unseenIdx.length ? screeningRates({ cases: unseenIdx.map((i) => rateCases[i]), infectionLabels: spec.infectionLabels, seed: DECISION_SEED }) : null;
  const rows: DecisionCaseRow[] = feats.map((f, i) => ({
    case: f.group,
    ...(f.reconstruction ? { reconstruction: f.reconstruction } : {}),
    group: f.group,
    label: f.label,
    infected: f.infected,
    modelSplit: f.modelSplit,
    maxRegionProbability: f.maxQ,
    lesionMl: f.lesionMl,
    ...(f.dependentFraction !== null ? { dependentLesionFraction: f.dependentFraction } : {}),
    regions: f.regions.length,
    heldOutProbability: heldOut[i],
  }));
  const nNeg = fitY.filter((v) => v === 0).length;
  const nFit = fitIdx.length;
  const slabNote = slabIdx.length
    ? ` The last column (evaluation only, never fitted on): the ${slabIdx.length} partial ${PARTIAL_SLAB_MM} mm slabs (every ${PARTIAL_SLAB_STRIDE_MM} mm) of the CTs with slice labels (COVID-CT-MD labels.csv), each predicted by the fold without its patient: infected when ≥ ${PARTIAL_SLAB_MIN_INFECTED_MM} mm of its slices are labelled infected, clean when none within ${PARTIAL_SLAB_CLEAN_MARGIN_MM} mm is, others left out. They measure small-extent disease; all three patients are training patients of both networks, so these numbers are optimistic, and the intervals treat slabs of one patient as independent, so they are too narrow.`
    : '';
  const nPatients = new Set(groups).size;
  const nNegPatients = new Set(fitIdx.filter((i) => !feats[i].infected).map((i) => feats[i].group)).size;
  const card: DecisionCard = {
    schemaVersion: DECISION_CARD_SCHEMA_VERSION,
    id: model.id,
    version,
    task: 'case-decision',
    description: 'Calibrated case decision for ctscreen: the probability that a chest CT has an infection, from its strongest candidate region and the lesion-mask volume, with an operating point and an indeterminate band chosen on leave-one-patient-out predictions. Replaces the paper\'s "any infection-voted region ⇒ infected" rule as the default; --decision paper keeps that rule.',
    createdAt: new Date().toISOString(),
    fittedFor: {
      candidates: 'learned',
      segmenter: { id: segmenter.card.id, version: segmenter.card.version, sha256: segmenter.card.onnx.sha256 },
      classifier: { id: classifier.card.id, version: classifier.card.version, sha256: classifier.card.onnx.sha256 },
    },
    parameters: { region: model.region, case: model.case, operatingPoint: model.operatingPoint, ...(model.typeRule ? { typeRule: model.typeRule } : {}), ...(model.strongRegion ? { strongRegion: model.strongRegion } : {}), ...(model.dependentRule ? { dependentRule: model.dependentRule } : {}) },
    fit: {
      method: `L2-penalised (λ = ${DECISION_L2}) logistic regression with class-balanced weights on [logit(max q_r), log(1 + lesion mL)] over ${nFit} screenings (${nFit - nNeg} infected, ${nNeg} without infection) of the ${nPatients} patients of ${relative(REPO_ROOT, options.manifest.file)}: each case as acquired and, where its slices are thin enough (k · spacing ≤ 5 mm), as its thick-slice reconstruction (means of k slices, src/dataset/reconstruction.ts); leave-one-patient-out holds both readings of a patient out together${slabIdx.length ? `; ${slabIdx.length} partial slabs are predicted held out but not fitted on (validation)` : ''}`,
      regionCalibration: "identity on the classifier's output: q_r = 1 − mean P(irrelevant) of the region's patches, with the classifier's temperature scaling fitted on its validation patches (classifier card); no region-level refit, since region-level truth on HU CT exists here only for lesion-free cases",
      operatingPoint: op.why,
      ...(typeFit
        ? { typeRule: `${primary} share of the infection evidence ≥ ${typeFit.threshold.toFixed(3)}: balanced accuracy ${typeFit.balancedAccuracy.toFixed(3)} over the ${typed.filter((c) => c.infected).length} infected cases (shares ${typed.filter((c) => c.infected).map((c, k) => `${c.primary ? primary : 'other'} ${c.share.toFixed(2)}`).join(', ')}), the logit middle of the first range of thresholds reaching it; the held-out types in the validation table use a threshold chosen without the case's patient. Why a threshold instead of the strongest type: the classifier's other-pneumonia training lesions are one CAP patient and three TB volumes, and COVID-19 CT from scanners it never saw (RICORD) came out near even` }
        : {}),
      ...(strong !== undefined
        ? { strongRegion: `a case the model calls "no infection" is indeterminate when its strongest region has p_r ≥ ${strong.toFixed(3)}: the strongest region of any lesion-free CT reading of the fit (${Math.max(...fitIdx.filter((i) => !feats[i].infected).map((i) => feats[i].maxQ)).toFixed(3)}) plus the indeterminate band's ${DECISION_BAND_LOGIT} logit, and whose lesion mask holds at least ${minLesionMl} mL (the segmenter's smallest candidate component: below it the mask is a few stray voxels; without this floor, LIDC-IDRI-0002 under three simulated readings of ctscreen robustness, 0.1–0.2 mL of mask and one small region, turned indeterminate). Why: held out, partial slabs of P001 holding 10–20 slices labelled infected had strongest regions of 0.81–0.99 and a few mL of lesion mask, and step 2 called them "no infection found"; a confident region with little lesion volume is conflicting evidence, not reassurance. Held out, each case is judged by the threshold from the other patients' lesion-free CTs` }
        : {}),
      dependentRule: `a case P calls infected is indeterminate when ≥ ${(100 * DECISION_DEPENDENT_RULE.fractionAtOrAbove).toFixed(0)} % of its lesion mask lies within ${DECISION_DEPENDENT_RULE.bandMm} mm of the dependent pleura (posterior when supine, anterior when prone: DICOM PatientPosition, supine assumed when absent; not applied to decubitus). Design constants, not fitted, chosen after ctscreen robustness showed normal001 with a marked simulated dependent band called COVID-19 (its fraction 0.90), so that reading is no longer independent evidence. The fractions of the cases (table) are the evidence that no infected CT here is near it. Why: on a supine CT alone, dependent atelectasis (a normal finding) and posterior subpleural ground glass cannot be told apart; prone images settle it`,
      l2: DECISION_L2,
      seed: DECISION_SEED,
    },
    cases: rows,
    validation: {
      note: `Leave-one-patient-out: each case's probability comes from the model fitted without its patient; the operating point was chosen on these same held-out probabilities, which flatters them slightly. "All cases" includes patients the segmenter or classifier were trained on (their region scores are optimistic); the second column keeps only patients in no network's training split. ${nNegPatients} patient(s) without infection: the specificity interval is wide and says little. The first two columns are the cases as acquired (one per patient); the third, the thick-slice reconstructions of the cases thin enough to make one (the same patients, not independent evidence).${slabNote}`,
      allCases: ratesRecord(all),
      unseenPatients: ratesRecord(unseen),
      ...(thickRates ? { thickSliceReconstructions: ratesRecord(thickRates) } : {}),
      ...(slabRates ? { partialSlabs: ratesRecord(slabRates) } : {}),
    },
    limitations: [
      `Fitted on ${nFit} screenings of ${nPatients} patients, ${nNegPatients} of them without infection: the operating point is only as good as these few negatives.`,
      'Infection type (COVID-19 vs other pneumonia) comes from the classifier\'s patch probabilities weighted by region evidence; ../shared/data has one DICOM CAP patient and three resized TB volumes, so the type is weakly validated.',
      ...(slabRates
        ? [`Small-extent disease is missed: held out, ${fmtCount(slabRates.primarySensitivity)} partial ${PARTIAL_SLAB_MM} mm slabs with ${slabRates.primarySensitivity.label} were called ${slabRates.primarySensitivity.label}, and ${fmtCount(slabRates.infectionSensitivity)} with any infection were called infected (clean slabs: ${fmtCount(slabRates.noInfectionSpecificity)} called no infection). Every whole infected CT in the fit has ≥ ${Math.floor(Math.min(...fitIdx.filter((i) => feats[i].infected).map((i) => feats[i].lesionMl)))} mL of lesion mask, so the model weighs volume heavily; on slabs the segmenter's lesion mask holds a few mL of P001's ground glass.`]
        : []),
      'Region probabilities are not recalibrated at region level (see fit.regionCalibration).',
      'Valid only with the exact segmenter and classifier named in fittedFor; ctscreen falls back to the paper\'s rule otherwise and says so.',
    ],
    licence: NON_COMMERCIAL_NOTICE,
    notice: NOT_A_DIAGNOSTIC_DEVICE,
  };
  return parseDecisionCard(card, 'trained decision card');
}

async function cli(argv: string[]): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const manifest = readManifest(resolve(arg('manifest', join(REPO_ROOT, 'eval/shared-data-manifest.csv'))));
  const modelsDir = resolve(arg('models', join(REPO_ROOT, 'models')));
  const featuresFile = resolve(arg('features', join(REPO_ROOT, 'training/work/decision/features.json')));
  const card = await trainDecision({ manifest, modelsDir, featuresFile, onCase: (id, d, n) => process.stderr.write(`[${d}/${n}] ${id}\n`) });
  mkdirSync(modelsDir, { recursive: true });
  writeFileSync(join(modelsDir, 'case-decision.card.json'), `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(join(modelsDir, 'case-decision.card.md'), renderDecisionCardMarkdown(card));
  process.stdout.write(renderDecisionCardMarkdown(card));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`train:decision: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
