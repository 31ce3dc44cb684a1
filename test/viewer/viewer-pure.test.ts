// Unit tests of the viewer's pure modules (viewer/src): windowing, compositing, NIfTI → slice with
// orientation, navigation, viewport. They run under node:test with the rest of `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { INDETERMINATE, NO_INFECTION_FOUND, NOT_A_DIAGNOSTIC_DEVICE_NOTICE } from '../../src/core/report-schema.ts';
import type { Mat3, Vec3, Volume } from '../../src/core/volume.ts';
import { encodeNifti } from '../../src/io/nifti.ts';
import { NOTICE } from '../../viewer/src/dom.ts';
import { INDETERMINATE_LABEL, NO_INFECTION_LABEL, formatDuration, formatPercent, regionLabelValue, showsTypeSplit } from '../../viewer/src/format.ts';
import { filenameHeader, uploadContentType } from '../../viewer/src/api.ts';
import { clampSlice, keyAction, sliceAfter, wheelSteps, DOM_DELTA_LINE, DOM_DELTA_PIXEL, PAGE_SLICES } from '../../viewer/src/navigation.ts';
import { NiftiFormatError, parseNifti, qformMatrix } from '../../viewer/src/nifti.ts';
import { compositeSlice, labelColourTable } from '../../viewer/src/overlay.ts';
import { displayToVoxel, extractSlice, planeLayout, voxelToDisplay } from '../../viewer/src/planes.ts';
import { canvasToPixel, imageTransform, pixelCentreOnCanvas, zoomAt } from '../../viewer/src/viewport.ts';
import { WINDOW_PRESETS, applyWindowLut, buildWindowLut, dragWindow, greyOf } from '../../viewer/src/windowing.ts';

/** −0 → 0, so deepEqual compares numbers, not signed zeros. */
const plain = (a: readonly number[]) => a.map((v) => (v === 0 ? 0 : v));

test('windowing: lung and mediastinum presets map HU to grey as computed by hand', () => {
  const lung = WINDOW_PRESETS.lung; // −1350 … 150 HU
  assert.deepEqual(lung, { width: 1500, level: -600 });
  assert.equal(greyOf(-1350, lung), 0);
  assert.equal(greyOf(-2000, lung), 0);
  assert.equal(greyOf(150, lung), 255);
  assert.equal(greyOf(-600, lung), 128); // 255 · 0.5 = 127.5 → 128
  assert.equal(greyOf(-1000, lung), 60); // 255 · 350/1500 = 59.5 → 60
  const med = WINDOW_PRESETS.mediastinum; // −135 … 215 HU
  assert.equal(greyOf(40, med), 128);
  assert.equal(greyOf(0, med), 98); // 255 · 135/350 = 98.36
  assert.equal(greyOf(-136, med), 0);
  assert.equal(greyOf(215, med), 255);
});

test('windowing: the LUT over int16 equals the formula, with slope and intercept applied', () => {
  const w = { width: 400, level: 40 };
  const lut = buildWindowLut(w, -32768, 32767);
  const hu = Int16Array.from([-32768, -1024, -160, 0, 40, 239, 240, 3000, 32767]);
  const out = applyWindowLut(hu, lut, -32768, new Uint8Array(hu.length));
  assert.deepEqual(Array.from(out), Array.from(hu, (v) => greyOf(v, w)));
  assert.deepEqual(Array.from(out), [0, 0, 0, 102, 128, 254, 255, 255, 255]);
  // stored 0…4095 with slope 1, intercept −1024 (typical CT): stored 1064 is 40 HU → 128
  const scaled = buildWindowLut(w, 0, 4095, 1, -1024);
  assert.equal(scaled[1064], 128);
  assert.equal(scaled[0], 0);
});

test('windowing: dragging right widens, down raises the level, the width never drops below 1', () => {
  assert.deepEqual(dragWindow({ width: 1500, level: -600 }, 10, -5, 4), { width: 1540, level: -620 });
  assert.deepEqual(dragWindow({ width: 100, level: 0 }, -1000, 0, 4), { width: 1, level: 0 });
});

test('compositing: α-blend of each layer in order, label 0 and uncoloured labels untouched', () => {
  const grey = Uint8Array.from([100, 100, 0, 200]);
  const lungs = Uint8Array.from([1, 2, 0, 1]);
  const lesion = Uint8Array.from([1, 0, 0, 0]);
  const lungTable = labelColourTable(2, (k) => (k === 1 ? [0, 200, 100] : null)); // label 2 hidden
  const lesionTable = labelColourTable(1, () => [255, 255, 0]);
  const out = new Uint8ClampedArray(16);
  compositeSlice(grey, [{ labels: lungs, colours: lungTable, opacity: 0.5 }, { labels: lesion, colours: lesionTable, opacity: 0.5 }], out);
  // pixel 0: lungs → (50, 150, 100); lesion → (152.5→153, 202.5→203, 50)
  assert.deepEqual(Array.from(out.subarray(0, 4)), [153, 203, 50, 255]);
  assert.deepEqual(Array.from(out.subarray(4, 8)), [100, 100, 100, 255]); // label 2 has no colour
  assert.deepEqual(Array.from(out.subarray(8, 12)), [0, 0, 0, 255]);
  assert.deepEqual(Array.from(out.subarray(12, 16)), [100, 200, 150, 255]);
  // opacity 0 draws nothing; a label beyond the table is not drawn
  compositeSlice(grey, [{ labels: Uint8Array.from([1, 9, 1, 1]), colours: lesionTable, opacity: 0 }], out);
  assert.deepEqual(Array.from(out.subarray(0, 4)), [100, 100, 100, 255]);
  compositeSlice(grey, [{ labels: Uint8Array.from([0, 9, 0, 0]), colours: lesionTable, opacity: 1 }], out);
  assert.deepEqual(Array.from(out.subarray(4, 8)), [100, 100, 100, 255]);
});

/** A 4×3×2 volume whose voxel value encodes its position: 100·z + 10·y + x. */
function codedVolume(direction: Mat3): Volume<Int16Array> {
  const dims: Vec3 = [4, 3, 2];
  const data = new Int16Array(24);
  for (let z = 0; z < 2; z++) for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) data[x + 4 * (y + 3 * z)] = 100 * z + 10 * y + x;
  return { data, dims, spacingMm: [0.5, 0.8, 3], originMm: [10, 20, 30], direction, source: { format: 'synthetic', sliceCount: 2, pseudoHu: false }, warnings: [] };
}

test('NIfTI written by ctscreen (LPS volume) parses to the same voxels, spacing and RAS affine', () => {
  const vol = codedVolume([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const img = parseNifti(gunzipSync(encodeNifti(vol, { gzip: true })), 'coded.nii.gz');
  assert.deepEqual(img.dims, [4, 3, 2]);
  assert.ok(img.data instanceof Int16Array);
  assert.deepEqual(Array.from(img.data), Array.from(vol.data));
  assert.equal(img.affineSource, 'sform');
  // LPS identity → RAS diag(−1, −1, 1) scaled by spacing; origin negated on x and y
  assert.deepEqual(plain(img.affine), [-0.5, 0, 0, -10, 0, -0.8, 0, -20, 0, 0, 3, 30].map((v) => Math.fround(v)));
  assert.equal(img.slope, 1);
  assert.equal(img.intercept, 0);
});

test('axial display of an LPS-stored CT: voxel x runs to the screen right (patient left), y down (posterior)', () => {
  const vol = codedVolume([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const img = parseNifti(gunzipSync(encodeNifti(vol, { gzip: true })));
  const L = planeLayout(img.dims, img.affine, 'axial');
  assert.deepEqual([L.colAxis, L.colFlip, L.rowAxis, L.rowFlip, L.width, L.height, L.sliceCount], [0, false, 1, false, 4, 3, 2]);
  assert.ok(Math.abs(L.colSpacingMm - 0.5) < 1e-6 && Math.abs(L.rowSpacingMm - 0.8) < 1e-6);
  const s = extractSlice(img.data, img.dims, L, 1, new Int16Array(12));
  assert.deepEqual(Array.from(s), [100, 101, 102, 103, 110, 111, 112, 113, 120, 121, 122, 123]);
});

test('a mirrored grid (columns stored right-to-left, direction x = −1) is flipped back on screen', () => {
  const vol = codedVolume([-1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const img = parseNifti(gunzipSync(encodeNifti(vol, { gzip: true })));
  assert.equal(img.affineSource, 'sform');
  const L = planeLayout(img.dims, img.affine, 'axial');
  assert.equal(L.colFlip, true);
  assert.equal(L.rowFlip, false);
  const s = extractSlice(img.data, img.dims, L, 0, new Int16Array(12));
  assert.deepEqual(Array.from(s.subarray(0, 4)), [3, 2, 1, 0]);
  // the voxel ↔ display mapping is the same flip, both ways
  assert.deepEqual(displayToVoxel(L, 0, 2, 1), [3, 2, 1]);
  assert.deepEqual(voxelToDisplay(L, [3, 2, 1]), { col: 0, row: 2, index: 1 });
});

test('a RAS-stored NIfTI (identity affine, as many tools write) shows with both in-plane axes flipped', () => {
  const img = { dims: [4, 3, 2] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] };
  const L = planeLayout(img.dims, img.affine, 'axial');
  assert.deepEqual([L.colFlip, L.rowFlip], [true, true]);
  const data = codedVolume([1, 0, 0, 0, 1, 0, 0, 0, 1]).data;
  const s = extractSlice(data, img.dims, L, 0, new Int16Array(12));
  assert.deepEqual(Array.from(s.subarray(0, 4)), [23, 22, 21, 20]);
  // coronal: columns x (flipped, RAS), rows z from superior (last slice) to inferior
  const C = planeLayout(img.dims, img.affine, 'coronal');
  assert.deepEqual([C.sliceAxis, C.colAxis, C.colFlip, C.rowAxis, C.rowFlip, C.width, C.height], [1, 0, true, 2, true, 4, 2]);
  assert.deepEqual(Array.from(extractSlice(data, img.dims, C, 1, new Int16Array(8))), [113, 112, 111, 110, 13, 12, 11, 10]);
  // sagittal: columns y towards posterior (RAS y decreasing → flipped), rows z flipped
  const S = planeLayout(img.dims, img.affine, 'sagittal');
  assert.deepEqual([S.sliceAxis, S.colAxis, S.colFlip, S.rowAxis, S.rowFlip], [0, 1, true, 2, true]);
  assert.deepEqual(Array.from(extractSlice(data, img.dims, S, 0, new Int16Array(6))), [120, 110, 100, 20, 10, 0]);
  assert.throws(() => extractSlice(data, img.dims, L, 2, new Int16Array(12)), /slice 2 is outside 0…1/);
});

test('voxel axes swapped in plane (x runs anterior-posterior) are laid out by direction, not by index', () => {
  // voxel x → RAS −y (posterior), voxel y → RAS −x (patient left)
  const L = planeLayout([4, 3, 2], [0, -1, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0], 'axial');
  assert.deepEqual([L.colAxis, L.colFlip, L.rowAxis, L.rowFlip, L.width, L.height], [1, false, 0, false, 3, 4]);
});

test('qform: a 180° turn about z (b=c=0, d=1) negates x and y; qfac −1 negates the slice axis', () => {
  assert.deepEqual(plain(qformMatrix(0, 0, 1, 1, [2, 3, 4])), [-2, 0, 0, 0, -3, 0, 0, 0, 4]);
  assert.deepEqual(plain(qformMatrix(0, 0, 0, -1, [1, 1, 2])), [1, 0, 0, 0, 1, 0, 0, 0, -2]);
});

test('NIfTI refusals name the file and the problem', () => {
  assert.throws(() => parseNifti(new Uint8Array(10), 'x.nii'), (e: unknown) => e instanceof NiftiFormatError && /x\.nii: has 10 bytes/.test((e as Error).message));
  assert.throws(() => parseNifti(Uint8Array.from([0x1f, 0x8b, 0, 0]), 'y.nii.gz'), /y\.nii\.gz: is still gzip-compressed/);
  const vol = codedVolume([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const bytes = encodeNifti(vol, { gzip: false });
  assert.throws(() => parseNifti(bytes.subarray(0, bytes.length - 2), 't.nii'), /t\.nii: is truncated/);
  const bad = Uint8Array.from(bytes);
  new DataView(bad.buffer).setInt16(70, 128, true); // RGB24
  assert.throws(() => parseNifti(bad, 'rgb.nii'), /datatype 128/);
});

test('wheel: one notch is one slice whatever its pixel size; touchpad deltas add up', () => {
  assert.equal(wheelSteps({ restPx: 0 }, 100, DOM_DELTA_PIXEL).steps, 1);
  assert.equal(wheelSteps({ restPx: 0 }, 53, DOM_DELTA_PIXEL).steps, 1);
  assert.equal(wheelSteps({ restPx: 0 }, -120, DOM_DELTA_PIXEL).steps, -1);
  assert.equal(wheelSteps({ restPx: 0 }, 3, DOM_DELTA_LINE).steps, 1);
  let st = { restPx: 0 };
  let total = 0;
  for (let i = 0; i < 10; i++) {
    const r = wheelSteps(st, 25, DOM_DELTA_PIXEL);
    st = r.state;
    total += r.steps;
  }
  assert.equal(total, 2); // 250 px of touchpad = 2 slices, 50 px left over
  assert.equal(st.restPx, 50);
});

test('keys: arrows step one slice, PageUp/Down ten, Home/End the ends, 1/2 the presets; clamped', () => {
  assert.equal(sliceAfter(keyAction('ArrowDown')!, 5, 96), 6);
  assert.equal(sliceAfter(keyAction('ArrowUp')!, 0, 96), 0);
  assert.equal(sliceAfter(keyAction('PageDown')!, 90, 96), 95);
  assert.equal(sliceAfter(keyAction('PageUp')!, 50, 96), 50 - PAGE_SLICES);
  assert.equal(sliceAfter(keyAction('Home')!, 50, 96), 0);
  assert.equal(sliceAfter(keyAction('End')!, 50, 96), 95);
  assert.deepEqual(keyAction('1'), { kind: 'preset', name: 'lung' });
  assert.deepEqual(keyAction('2'), { kind: 'preset', name: 'mediastinum' });
  assert.equal(keyAction('Tab'), null);
  assert.equal(clampSlice(-3, 10), 0);
  assert.equal(clampSlice(12.4, 10), 9);
});

test('viewport: fitted with the pixel aspect, zoom about a point keeps that point fixed', () => {
  const layout = { width: 100, height: 50, colSpacingMm: 1, rowSpacingMm: 2 }; // 100 × 100 mm
  const t = imageTransform(400, 200, layout, { zoom: 1, panX: 0, panY: 0 });
  assert.deepEqual(t, { scaleX: 2, scaleY: 4, offsetX: 100, offsetY: 0 });
  assert.deepEqual(pixelCentreOnCanvas(t, 0, 0), [101, 2]);
  const vp = zoomAt({ zoom: 1, panX: 0, panY: 0 }, 2, 150, 60, 400, 200, layout);
  const before = canvasToPixel(t, 150, 60);
  const after = canvasToPixel(imageTransform(400, 200, layout, vp), 150, 60);
  assert.equal(vp.zoom, 2);
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9);
});

test('text: percent, duration, region label values, upload headers, and the notice equals the report notice', () => {
  assert.equal(formatPercent(0.5068), '50.7 %');
  assert.equal(formatPercent(null), '—');
  assert.equal(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:00:05.25Z'), '5.3 s');
  assert.equal(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:02:03Z'), '2 min 03 s');
  assert.equal(formatDuration(null, '2026-01-01T00:00:00Z'), '—');
  assert.equal(regionLabelValue({ id: 'R12' }), 12);
  assert.equal(regionLabelValue({ id: 'R3', labelValue: 7 }), 7);
  assert.equal(regionLabelValue({ id: 'lesion' }), null);
  assert.equal(uploadContentType('P001.ZIP'), 'application/zip');
  assert.equal(uploadContentType('ct.nii.gz'), 'application/gzip');
  assert.equal(uploadContentType('ct.nii'), 'application/octet-stream');
  assert.equal(uploadContentType('s.jpeg'), 'image/jpeg');
  assert.equal(filenameHeader('ct 1.nii.gz'), 'ct 1.nii.gz');
  assert.equal(filenameHeader('größe.zip'), 'gr%C3%B6%C3%9Fe.zip');
  assert.equal(NOTICE, NOT_A_DIAGNOSTIC_DEVICE_NOTICE);
  assert.equal(INDETERMINATE_LABEL, INDETERMINATE);
  assert.equal(NO_INFECTION_LABEL, NO_INFECTION_FOUND);
});

test('the type split shows beside an infected or indeterminate call with regions, never beside "no infection found" or without regions', () => {
  const split = { covid19: 0.6, other_pneumonia: 0.4 };
  assert.equal(showsTypeSplit({ label: 'covid19', typeProbabilities: split }, 3), true);
  assert.equal(showsTypeSplit({ label: INDETERMINATE, typeProbabilities: split }, 1), true);
  assert.equal(showsTypeSplit({ label: NO_INFECTION_FOUND, typeProbabilities: split }, 19), false);
  assert.equal(showsTypeSplit({ label: INDETERMINATE, typeProbabilities: split }, 0), false);
  assert.equal(showsTypeSplit({ label: 'covid19' }, 3), false);
});
