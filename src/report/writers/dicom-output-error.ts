/** The DICOM-output error a screening can raise before any DICOM writer (and dcmjs) is loaded. */
import { InputError } from '../../core/errors.ts';

/** The error a DICOM output request gets for an input without DICOM references. */
export function dicomOutputNeedsDicomInput(format: string, path?: string): InputError {
  return new InputError(
    'OUTPUT_DICOM_NEEDS_DICOM',
    `--output-type dicom needs a DICOM input (a series folder, .zip or file): ${path ? `${path} is` : 'the input is'} ${format}, which has no DICOM study, series or frame of reference for a SEG, SR or secondary capture to reference`,
    path ? { path } : {},
  );
}
