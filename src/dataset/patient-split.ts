/**
 * The ONE patient-level split both trained models use (segmenter v2, classifier v3), written down
 * rather than drawn so that every card, `models/*split*.json` and `ctscreen eval` agree on which
 * patient a model never saw.
 *
 *   VALIDATION_PATIENTS                       the held-out patients, with why
 *   isValidationPseudoPatient(group): boolean COVID-19-CT-Seg patient (either exporter's naming) held out?
 *   HU_VOLUMES                                the HU CT volumes of ../shared/data and their split
 *
 * Why these: one COVID-19 DICOM from another site and scanner (RICORD) and one LIDC slab from a
 * second vendor are the only HU patients that can be held out without taking away a class's only
 * training patient (COVID-CT-MD has one DICOM patient per class: all three train); one of the three
 * TB volumes so other infection is measured at all; 2 coronacases.org + 2 Radiopaedia
 * COVID-19-CT-Seg patients (the segmenter v1 validation patients, so its restacked-volume numbers
 * stay comparable); all 50 MedSeg expert slices (no patient ids, so none can straddle the split;
 * the only expert masks, so Dice is measured on them).
 */

/** COVID-19-CT-Seg patients (pseudo-label volumes) held out, as `<origin>-<number>`. */
export const VALIDATION_PSEUDO_PATIENTS: readonly string[] = ['coronacases-008', 'coronacases-009', 'radiopaedia-14', 'radiopaedia-27'];

export type SplitName = 'train' | 'validation';

export interface HuVolumeEntry {
  /** Split group, named as `ctscreen eval` matches case paths (`<dataset folder>-<case>`). */
  group: string;
  /** Path under the shared data folder. */
  path: string;
  split: SplitName;
  /** What the volume is: lesion-free, COVID-19 without masks, TB with masks. */
  kind: 'lesion-free' | 'slice-labelled' | 'tb-masked' | 'covid-unmasked';
}

export const HU_VOLUMES: readonly HuVolumeEntry[] = [
  { group: 'covid-ct-md-P001', path: 'covid-ct-md/P001', split: 'train', kind: 'slice-labelled' },
  { group: 'covid-ct-md-cap001', path: 'covid-ct-md/cap001', split: 'train', kind: 'slice-labelled' },
  { group: 'covid-ct-md-normal001', path: 'covid-ct-md/normal001', split: 'train', kind: 'lesion-free' },
  { group: 'lidc-idri-LIDC-IDRI-0001', path: 'lidc-idri/LIDC-IDRI-0001', split: 'train', kind: 'lesion-free' },
  { group: 'lidc-idri-LIDC-IDRI-0002', path: 'lidc-idri/LIDC-IDRI-0002', split: 'validation', kind: 'lesion-free' },
  { group: 'tb-tb1_001', path: 'tb-lesions/tb1_001_1001_1_33554433-128x128x64.nii.gz', split: 'train', kind: 'tb-masked' },
  { group: 'tb-tb1_002', path: 'tb-lesions/tb1_002_10064_1_33554433-128x128x64.nii.gz', split: 'train', kind: 'tb-masked' },
  { group: 'tb-tb1_003', path: 'tb-lesions/tb1_003_102_2_16777217-128x128x64.nii.gz', split: 'validation', kind: 'tb-masked' },
  { group: 'ricord-1a-419639-001012', path: 'ricord-1a/419639-001012', split: 'validation', kind: 'covid-unmasked' },
];

/** Radiopaedia-covid stacks (case-level labels only): never trained on by either model. */
export const RADIOPAEDIA_VALIDATION_GROUPS: readonly string[] = ['radiopaedia-covid-74560', 'radiopaedia-covid-74576', 'radiopaedia-covid-74724', 'radiopaedia-covid-74867', 'radiopaedia-covid-75249'];

export const SPLIT_RATIONALE: readonly string[] = [
  'One split for segmenter v2 and classifier v3 (src/dataset/patient-split.ts), fixed by hand, not drawn.',
  'Validation: ricord-1a/419639-001012 (COVID-19, HU, another site and scanner: the image-source shortcut test), lidc-idri/LIDC-IDRI-0002 (no infection, GE), tb 003, the 5 radiopaedia-covid stacks (never trained on), COVID-19-CT-Seg patients coronacases 008 and 009 and Radiopaedia cases 14 and 27, and all 50 MedSeg Doctor-label slices (expert masks; no patient ids).',
  'Training: COVID-CT-MD P001, cap001, normal001 (the only DICOM patient of each class), LIDC-IDRI-0001, tb 001 and 002, the other 14 COVID-19-CT-Seg patients.',
];

/**
 * True when a COVID-19-CT-Seg patient group is held out. Accepts the segmenter's names
 * ('coronacases_org_008', 'radiopaedia-case-14') and the classifier's ('covid19ctseg-coronacases-008',
 * 'covid19ctseg-radiopaedia-14').
 */
export function isValidationPseudoPatient(group: string): boolean {
  const cc = /coronacases(?:_org)?[-_](\d+)$/.exec(group);
  if (cc) return VALIDATION_PSEUDO_PATIENTS.includes(`coronacases-${cc[1].padStart(3, '0')}`);
  const rp = /radiopaedia-(?:case-)?(\d+)$/.exec(group);
  if (rp) return VALIDATION_PSEUDO_PATIENTS.includes(`radiopaedia-${rp[1]}`);
  return false;
}
