/**
 * The class list is part of each model's metadata (its model card), never hard-coded in the
 * decision logic (paper §2.6 works with any set of infection types plus one "irrelevant" class).
 */
export interface ClassSpec {
  /** Output order of the classifier, e.g. ['covid19', 'other_pneumonia', 'irrelevant']. */
  labels: readonly string[];
  /** Subset of labels that are infection types (take part in Noisy-OR). */
  infectionLabels: readonly string[];
  /** The one label meaning irrelevant-to-infection (regions voted this are dropped, §2.6.1). */
  irrelevantLabel: string;
  /** Human-readable names for reports, keyed by label. */
  displayNames?: Readonly<Record<string, string>>;
}

/**
 * The classes ctscreen's classifiers are trained on: the paper's three (§2.4: COVID-19, Influenza-A
 * viral pneumonia, irrelevant-to-infection) with other pneumonia in place of IAVP, the infection the
 * public data offers. Training writes it into the card; screening reads the card's copy.
 */
export const CLASSIFIER_CLASSES: ClassSpec = {
  labels: ['covid19', 'other_pneumonia', 'irrelevant'],
  infectionLabels: ['covid19', 'other_pneumonia'],
  irrelevantLabel: 'irrelevant',
};

export function validateClassSpec(spec: ClassSpec): void {
  const set = new Set(spec.labels);
  if (set.size !== spec.labels.length) throw new RangeError(`class labels are not unique: ${spec.labels.join(',')}`);
  if (!set.has(spec.irrelevantLabel)) throw new RangeError(`irrelevant label '${spec.irrelevantLabel}' is not among ${spec.labels.join(',')}`);
  for (const l of spec.infectionLabels) {
    if (!set.has(l)) throw new RangeError(`infection label '${l}' is not among ${spec.labels.join(',')}`);
    if (l === spec.irrelevantLabel) throw new RangeError(`'${l}' cannot be both an infection and the irrelevant label`);
  }
}
