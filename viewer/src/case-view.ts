/**
 * The case view: the CT slice by slice with the lungs, lesion mask and candidate regions drawn over
 * it, the region table and the decision panel. Rendering is canvas 2D: the slice is windowed and
 * composited into an ImageData at its own resolution (pure steps in windowing.ts / overlay.ts), put
 * on an offscreen canvas and drawn scaled onto the visible one.
 */
import type { CaseReport, RegionReport } from '../../src/core/report-schema.ts';
import { ApiError, getFile, getJob, type Job } from './api.ts';
import { clear, h } from './dom.ts';
import { INDETERMINATE_LABEL, formatPercent, regionLabelValue, showsTypeSplit } from './format.ts';
import { loadJobNifti } from './load.ts';
import { keyAction, sliceAfter, clampSlice, wheelSteps, type WheelState } from './navigation.ts';
import type { NiftiImage, NiftiVoxels } from './nifti.ts';
import { CANDIDATE_OPACITY, CLASS_COLOURS, LESION_COLOUR, LESION_OPACITY, LUNG_COLOURS, LUNG_OPACITY, classColour, compositeSlice, labelColourTable, rgbCss, type OverlayLayer } from './overlay.ts';
import { displayToVoxel, extractSlice, planeLayout, voxelToDisplay, type Plane, type PlaneLayout } from './planes.ts';
import { DEFAULT_VIEWPORT, canvasToPixel, imageTransform, pixelCentreOnCanvas, zoomAt, type Viewport } from './viewport.ts';
import { WINDOW_PRESETS, applyWindowDirect, applyWindowLut, buildWindowLut, dragWindow, integerRange, type WindowLevel } from './windowing.ts';

type OverlayName = 'lungs' | 'lesions' | 'candidates';
interface OverlayState {
  on: boolean;
  opacity: number;
}

const DEFAULT_OPACITY: Record<OverlayName, number> = { lungs: LUNG_OPACITY, lesions: LESION_OPACITY, candidates: CANDIDATE_OPACITY };
const HIGHLIGHT_COLOUR = '#ffffff';

/** What the viewer exposes to tests and the bench (window.__ctscreenViewer). */
export interface ViewerProbe {
  ready: boolean;
  error: string | null;
  plane: Plane;
  sliceIndex: number;
  sliceCount: number;
  window: WindowLevel;
  viewport: Viewport;
  overlays: Record<OverlayName, OverlayState & { available: boolean }>;
  selectedRegion: string | null;
  drawCount: number;
  /** performance.now() when the case view started loading, and when its first slice was drawn. */
  openedAtMs: number;
  firstDrawAtMs: number | null;
  /** performance.now() when each file had arrived (bytes) and was decoded (gunzip + parse). */
  loadedAtMs: Record<string, { fetched: number; decoded: number }>;
  /** Canvas-pixel position (relative to the canvas) of the centre of voxel [x, y, z], on the current plane. */
  voxelToCanvas(x: number, y: number, z: number): [number, number] | null;
  setSlice(index: number): void;
  /** Draws now instead of on the next animation frame (bench). */
  drawNow(): void;
}

declare global {
  interface Window {
    __ctscreenViewer?: ViewerProbe;
  }
}

export interface CaseViewHandle {
  dispose(): void;
}

interface Loaded {
  job: Job;
  report: CaseReport;
  volume: NiftiImage;
  lungs: NiftiImage | null;
  candidates: NiftiImage | null;
  lesions: NiftiImage | null;
}

function sameGrid(a: NiftiImage, b: NiftiImage): boolean {
  return a.dims[0] === b.dims[0] && a.dims[1] === b.dims[1] && a.dims[2] === b.dims[2];
}

export function mountCaseView(root: HTMLElement, jobId: string, onAuthError: (e: ApiError) => void): CaseViewHandle {
  clear(root);
  const openedAtMs = performance.now();
  const status = h('p', { id: 'case-status', class: 'muted', role: 'status' }, 'Loading the case …');
  root.append(h('p', {}, h('a', { href: '#/', id: 'back' }, '← Worklist')), status);
  let disposed = false;
  const cleanups: (() => void)[] = [];

  const probe: ViewerProbe = {
    ready: false,
    error: null,
    plane: 'axial',
    sliceIndex: 0,
    sliceCount: 0,
    window: { ...WINDOW_PRESETS.lung },
    viewport: { ...DEFAULT_VIEWPORT },
    overlays: {
      lungs: { on: true, opacity: DEFAULT_OPACITY.lungs, available: false },
      lesions: { on: true, opacity: DEFAULT_OPACITY.lesions, available: false },
      candidates: { on: true, opacity: DEFAULT_OPACITY.candidates, available: false },
    },
    selectedRegion: null,
    drawCount: 0,
    openedAtMs,
    firstDrawAtMs: null,
    loadedAtMs: {},
    voxelToCanvas: () => null,
    setSlice: () => {},
    drawNow: () => {},
  };
  window.__ctscreenViewer = probe;

  const fail = (msg: string) => {
    probe.error = msg;
    status.textContent = msg;
    status.className = 'error';
  };

  (async () => {
    const job = await getJob(jobId);
    if (job.status !== 'done') throw new Error(`job ${jobId} is ${job.status}${job.error ? ` (${job.error.message})` : ''}; only finished jobs can be opened`);
    const has = (n: string) => job.files.includes(n);
    const maybe = (n: string) => (has(n) ? loadJobNifti(jobId, n, (stage) => ((probe.loadedAtMs[n] ??= { fetched: 0, decoded: 0 })[stage] = performance.now())) : Promise.resolve(null));
    const [reportBytes, volume, lungs, candidates, lesions] = await Promise.all([getFile(jobId, 'report.json'), maybe('volume.nii.gz'), maybe('lungs.nii.gz'), maybe('candidates.nii.gz'), maybe('lesions.nii.gz')]);
    if (!reportBytes) throw new Error('the job has no report.json');
    if (!volume) throw new Error('the job has no volume.nii.gz, so there is no CT to show (a job screened before the service kept the volume)');
    const report = JSON.parse(new TextDecoder().decode(reportBytes)) as CaseReport;
    for (const [name, m] of [['lungs.nii.gz', lungs], ['candidates.nii.gz', candidates], ['lesions.nii.gz', lesions]] as const) {
      if (m && !sameGrid(volume, m)) throw new Error(`${name} is ${m.dims.join('×')}, the CT is ${volume.dims.join('×')}: the masks must be on the CT's grid`);
    }
    return { job, report, volume, lungs, candidates, lesions } satisfies Loaded;
  })().then(
    (loaded) => {
      if (disposed) return;
      status.remove();
      build(loaded);
    },
    (e: unknown) => {
      if (disposed) return;
      if (e instanceof ApiError && e.status === 401) return onAuthError(e);
      fail(`Cannot open the case: ${(e as Error).message}`);
    },
  );

  function build(c: Loaded): void {
    const { report, volume } = c;
    const dims = volume.dims;
    const layouts: Record<Plane, PlaneLayout> = {
      axial: planeLayout(dims, volume.affine, 'axial'),
      coronal: planeLayout(dims, volume.affine, 'coronal'),
      sagittal: planeLayout(dims, volume.affine, 'sagittal'),
    };
    const indexOf: Record<Plane, number> = { axial: Math.floor(dims[2] / 2), coronal: Math.floor(dims[1] / 2), sagittal: Math.floor(dims[0] / 2) };
    const regionsByLabel = new Map<number, RegionReport>();
    for (const r of report.regions) {
      const v = regionLabelValue(r);
      if (v !== null) regionsByLabel.set(v, r);
    }
    probe.overlays.lungs.available = c.lungs !== null;
    probe.overlays.candidates.available = c.candidates !== null;
    probe.overlays.lesions.available = c.lesions !== null;
    for (const k of ['lungs', 'candidates', 'lesions'] as const) if (!probe.overlays[k].available) probe.overlays[k].on = false;

    // colour tables
    const lungTable = labelColourTable(2, (k) => LUNG_COLOURS[k as 1 | 2] ?? null);
    const lesionTable = labelColourTable(1, () => LESION_COLOUR);
    // labels without a region are not drawn, so the table need only reach the largest region's label
    const maxCandidate = Math.max(0, ...regionsByLabel.keys());
    const candidateTable = labelColourTable(maxCandidate, (k) => {
      const r = regionsByLabel.get(k);
      return r ? classColour(r.vote.label) : null;
    });

    // ---- DOM ----
    const canvas = h('canvas', { id: 'slice-canvas', class: 'slice-canvas', 'aria-label': 'CT slice' });
    const ctx = canvas.getContext('2d', { alpha: false })!;
    const off = document.createElement('canvas');
    const offCtx = off.getContext('2d')!;
    const viewerBox = h('div', { id: 'viewer', class: 'viewer', tabindex: 0, 'aria-label': 'CT viewer: arrow keys scroll, 1 lung window, 2 mediastinum window, + and − zoom, 0 resets' }, canvas);
    const slider = h('input', { type: 'range', id: 'slice-slider', min: 0, max: layouts.axial.sliceCount - 1, value: indexOf.axial, 'aria-label': 'Slice' });
    const sliceLabel = h('span', { id: 'slice-label', class: 'mono' });
    const hoverLabel = h('span', { id: 'hover-label', class: 'mono muted' });
    const windowLabel = h('span', { id: 'window-label', class: 'mono' });
    const presetButtons = (Object.keys(WINDOW_PRESETS) as (keyof typeof WINDOW_PRESETS)[]).map((name) => {
      const b = h('button', { type: 'button', id: `preset-${name}`, 'data-preset': name }, `${name === 'lung' ? 'Lung' : 'Mediastinum'} (${name === 'lung' ? '1' : '2'})`);
      b.addEventListener('click', () => setWindow({ ...WINDOW_PRESETS[name] }));
      return b;
    });
    const planeSelect = h('select', { id: 'plane-select', 'aria-label': 'Plane' }, ...(['axial', 'coronal', 'sagittal'] as Plane[]).map((p) => h('option', { value: p }, p)));
    planeSelect.addEventListener('change', () => setPlane(planeSelect.value as Plane));

    const overlayControls = (['lungs', 'lesions', 'candidates'] as OverlayName[]).map((name) => {
      const st = probe.overlays[name];
      const box = h('input', { type: 'checkbox', id: `toggle-${name}`, checked: st.on, disabled: !st.available });
      const op = h('input', { type: 'range', id: `opacity-${name}`, min: 0, max: 100, value: Math.round(st.opacity * 100), disabled: !st.available, 'aria-label': `${name} opacity` });
      box.addEventListener('change', () => {
        st.on = box.checked;
        scheduleDraw();
      });
      op.addEventListener('input', () => {
        st.opacity = Number(op.value) / 100;
        scheduleDraw();
      });
      const swatch = name === 'lesions' ? rgbCss(LESION_COLOUR) : name === 'lungs' ? rgbCss(LUNG_COLOURS[1]) : rgbCss(CLASS_COLOURS.covid19);
      const label = name === 'lungs' ? 'Lungs' : name === 'lesions' ? 'Lesion mask' : 'Candidate regions';
      return h(
        'div',
        { class: 'overlay-control' },
        h('label', {}, box, h('span', { class: 'swatch', style: `background:${swatch}` }), ` ${label}`),
        op,
        st.available ? null : h('span', { class: 'muted small', id: `missing-${name}` }, ' not available for this job'),
      );
    });

    const toolbar = h('div', { class: 'toolbar' }, ...presetButtons, windowLabel, h('label', {}, 'Plane ', planeSelect), h('button', { type: 'button', id: 'reset-view' }, 'Reset view (0)'));
    (toolbar.querySelector('#reset-view') as HTMLButtonElement).addEventListener('click', () => resetView());
    const legend = h(
      'div',
      { class: 'legend small' },
      ...report.classes.labels.map((l) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${rgbCss(classColour(l))}` }), ` ${report.classes.displayNames?.[l] ?? l}`)),
    );
    const left = h('section', { class: 'view-column' }, toolbar, viewerBox, h('div', { class: 'slice-line' }, slider, sliceLabel), h('div', { class: 'overlays' }, ...overlayControls), legend, h('p', { class: 'muted small' }, 'Wheel or ↑/↓ scroll (PageUp/PageDown ±10), drag: window/level, shift-drag or right-drag: pan, ctrl-wheel or +/−: zoom, double-click: reset.'));
    const side = h('aside', { class: 'side-column' }, decisionPanel(c), regionTable(c));
    root.append(h('h1', { class: 'case-title' }, c.job.inputName || c.job.id), h('div', { class: 'case-layout' }, left, side));

    // ---- buffers ----
    const volRange = integerRange(volume.data);
    let lut: Uint8Array | null = null;
    let lutKey = '';
    interface PlaneBuffers {
      vol: NiftiVoxels;
      grey: Uint8Array;
      lungs: Uint8Array | null;
      candidates: NiftiVoxels | null;
      lesions: Uint8Array | null;
      image: ImageData;
    }
    const buffers = new Map<Plane, PlaneBuffers>();
    const buffersFor = (p: Plane): PlaneBuffers => {
      let b = buffers.get(p);
      if (!b) {
        const n = layouts[p].width * layouts[p].height;
        const ctor = volume.data.constructor as new (n: number) => NiftiVoxels;
        const cctor = c.candidates ? (c.candidates.data.constructor as new (n: number) => NiftiVoxels) : null;
        b = {
          vol: new ctor(n),
          grey: new Uint8Array(n),
          lungs: c.lungs ? new Uint8Array(n) : null,
          candidates: cctor ? new cctor(n) : null,
          lesions: c.lesions ? new Uint8Array(n) : null,
          image: new ImageData(layouts[p].width, layouts[p].height),
        };
        buffers.set(p, b);
      }
      return b;
    };

    // ---- drawing ----
    let frame = 0;
    function scheduleDraw(): void {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        draw();
      });
    }
    function resizeCanvas(): void {
      const r = viewerBox.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      const w = Math.max(1, Math.round(r.width * dpr));
      const hh = Math.max(1, Math.round(r.height * dpr));
      if (canvas.width !== w || canvas.height !== hh) {
        canvas.width = w;
        canvas.height = hh;
      }
    }
    function transform() {
      return imageTransform(canvas.width, canvas.height, layouts[probe.plane], probe.viewport);
    }
    function draw(): void {
      if (disposed) return;
      const p = probe.plane;
      const L = layouts[p];
      const idx = indexOf[p];
      const b = buffersFor(p);
      extractSlice(volume.data, dims, L, idx, b.vol);
      if (volRange) {
        const key = `${probe.window.width}/${probe.window.level}`;
        if (!lut || key !== lutKey) {
          lut = buildWindowLut(probe.window, volRange[0], volRange[1], volume.slope, volume.intercept);
          lutKey = key;
        }
        applyWindowLut(b.vol, lut, volRange[0], b.grey);
      } else {
        applyWindowDirect(b.vol, probe.window, volume.slope, volume.intercept, b.grey);
      }
      const layers: OverlayLayer[] = [];
      const o = probe.overlays;
      if (o.lungs.on && c.lungs && b.lungs) layers.push({ labels: extractSlice(c.lungs.data, dims, L, idx, b.lungs), colours: lungTable, opacity: o.lungs.opacity });
      if (o.candidates.on && c.candidates && b.candidates) layers.push({ labels: extractSlice(c.candidates.data, dims, L, idx, b.candidates), colours: candidateTable, opacity: o.candidates.opacity });
      if (o.lesions.on && c.lesions && b.lesions) layers.push({ labels: extractSlice(c.lesions.data, dims, L, idx, b.lesions), colours: lesionTable, opacity: o.lesions.opacity });
      compositeSlice(b.grey, layers, b.image.data);
      if (off.width !== L.width || off.height !== L.height) {
        off.width = L.width;
        off.height = L.height;
      }
      offCtx.putImageData(b.image, 0, 0);
      resizeCanvas();
      const t = transform();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, t.offsetX, t.offsetY, L.width * t.scaleX, L.height * t.scaleY);
      drawSelectedBox(t);
      sliceLabel.textContent = `${p} slice ${idx + 1} / ${L.sliceCount} (index ${idx})`;
      windowLabel.textContent = `W ${probe.window.width} / L ${probe.window.level}`;
      probe.sliceIndex = idx;
      probe.sliceCount = L.sliceCount;
      probe.drawCount++;
      if (probe.firstDrawAtMs === null) {
        probe.firstDrawAtMs = performance.now();
        probe.ready = true;
      }
    }
    function drawSelectedBox(t: ReturnType<typeof transform>): void {
      const r = report.regions.find((g) => g.id === probe.selectedRegion);
      if (!r) return;
      const L = layouts[probe.plane];
      const a = voxelToDisplay(L, r.boxVoxels.min);
      const z = voxelToDisplay(L, r.boxVoxels.max);
      const idx = indexOf[probe.plane];
      const onSlice = idx >= Math.min(a.index, z.index) && idx <= Math.max(a.index, z.index);
      const c0 = Math.min(a.col, z.col);
      const r0 = Math.min(a.row, z.row);
      const x = t.offsetX + c0 * t.scaleX;
      const y = t.offsetY + r0 * t.scaleY;
      ctx.strokeStyle = HIGHLIGHT_COLOUR;
      ctx.lineWidth = 2;
      ctx.setLineDash(onSlice ? [] : [4, 4]);
      ctx.strokeRect(x - 2, y - 2, (Math.abs(z.col - a.col) + 1) * t.scaleX + 4, (Math.abs(z.row - a.row) + 1) * t.scaleY + 4);
      ctx.setLineDash([]);
      ctx.fillStyle = HIGHLIGHT_COLOUR;
      ctx.font = '12px sans-serif';
      ctx.fillText(r.id, x, Math.max(12, y - 6));
    }

    // ---- state changes ----
    function setSlice(i: number): void {
      const L = layouts[probe.plane];
      indexOf[probe.plane] = clampSlice(i, L.sliceCount);
      slider.value = String(indexOf[probe.plane]);
      probe.sliceIndex = indexOf[probe.plane];
      hoverLabel.textContent = '';
      scheduleDraw();
    }
    function setWindow(w: WindowLevel): void {
      probe.window = w;
      scheduleDraw();
    }
    function setPlane(p: Plane): void {
      probe.plane = p;
      planeSelect.value = p;
      slider.max = String(layouts[p].sliceCount - 1);
      slider.value = String(indexOf[p]);
      probe.viewport = { ...DEFAULT_VIEWPORT };
      probe.sliceIndex = indexOf[p];
      probe.sliceCount = layouts[p].sliceCount;
      scheduleDraw();
    }
    function resetView(): void {
      probe.viewport = { ...DEFAULT_VIEWPORT };
      scheduleDraw();
    }
    function selectRegion(id: string): void {
      const r = report.regions.find((g) => g.id === id);
      if (!r) return;
      probe.selectedRegion = id;
      for (const row of side.querySelectorAll<HTMLElement>('tr[data-region]')) row.classList.toggle('selected', row.dataset.region === id);
      if (probe.plane !== 'axial') setPlane('axial');
      setSlice(r.centreSlice);
    }
    probe.setSlice = setSlice;
    probe.drawNow = () => {
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
      draw();
    };
    probe.voxelToCanvas = (x, y, z) => {
      const L = layouts[probe.plane];
      const d = voxelToDisplay(L, [x, y, z]);
      if (d.index !== indexOf[probe.plane]) return null;
      const t = transform();
      const [cx, cy] = pixelCentreOnCanvas(t, d.col, d.row);
      const dpr = window.devicePixelRatio || 1;
      return [cx / dpr, cy / dpr];
    };

    // ---- input ----
    slider.addEventListener('input', () => setSlice(Number(slider.value)));
    let wheel: WheelState = { restPx: 0 };
    viewerBox.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (e.ctrlKey) {
          const r = canvas.getBoundingClientRect();
          const dpr = window.devicePixelRatio || 1;
          probe.viewport = zoomAt(probe.viewport, e.deltaY < 0 ? 1.1 : 1 / 1.1, (e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr, canvas.width, canvas.height, layouts[probe.plane]);
          scheduleDraw();
          return;
        }
        const s = wheelSteps(wheel, e.deltaY, e.deltaMode);
        wheel = s.state;
        if (s.steps !== 0) setSlice(indexOf[probe.plane] + s.steps);
      },
      { passive: false },
    );
    viewerBox.addEventListener('keydown', (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const a = keyAction(e.key);
      if (!a) return;
      e.preventDefault();
      if (a.kind === 'preset') setWindow({ ...WINDOW_PRESETS[a.name] });
      else if (a.kind === 'zoom') {
        probe.viewport = zoomAt(probe.viewport, a.factor, canvas.width / 2, canvas.height / 2, canvas.width, canvas.height, layouts[probe.plane]);
        scheduleDraw();
      } else if (a.kind === 'reset') resetView();
      else setSlice(sliceAfter(a, indexOf[probe.plane], layouts[probe.plane].sliceCount));
    });
    let drag: { x: number; y: number; mode: 'window' | 'pan'; start: WindowLevel; vp: Viewport } | null = null;
    viewerBox.addEventListener('contextmenu', (e) => e.preventDefault());
    viewerBox.addEventListener('pointerdown', (e) => {
      viewerBox.focus();
      const mode = e.button === 2 || e.button === 1 || e.shiftKey ? 'pan' : 'window';
      drag = { x: e.clientX, y: e.clientY, mode, start: { ...probe.window }, vp: { ...probe.viewport } };
      viewerBox.setPointerCapture(e.pointerId);
    });
    viewerBox.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (drag.mode === 'window') setWindow(dragWindow(drag.start, dx, dy));
      else {
        const dpr = window.devicePixelRatio || 1;
        probe.viewport = { ...drag.vp, panX: drag.vp.panX + dx * dpr, panY: drag.vp.panY + dy * dpr };
        scheduleDraw();
      }
    });
    const endDrag = () => {
      drag = null;
    };
    viewerBox.addEventListener('pointerup', endDrag);
    viewerBox.addEventListener('pointercancel', endDrag);
    viewerBox.addEventListener('dblclick', () => resetView());
    sliceLabel.after(hoverLabel);
    viewerBox.addEventListener('mousemove', (e) => {
      const r = canvas.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      const [col, row] = canvasToPixel(transform(), (e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr);
      const L = layouts[probe.plane];
      if (col < 0 || row < 0 || col >= L.width || row >= L.height) {
        hoverLabel.textContent = '';
        return;
      }
      const [x, y, z] = displayToVoxel(L, Math.floor(col), Math.floor(row), indexOf[probe.plane]);
      const v = volume.data[x + dims[0] * (y + dims[1] * z)] * volume.slope + volume.intercept;
      hoverLabel.textContent = `  voxel (${x}, ${y}, ${z}) ${Math.round(v)} HU`;
    });
    for (const row of side.querySelectorAll<HTMLElement>('tr[data-region]')) {
      const go = () => selectRegion(row.dataset.region!);
      row.addEventListener('click', go);
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          go();
        }
      });
    }
    const onResize = () => scheduleDraw();
    window.addEventListener('resize', onResize);
    cleanups.push(() => window.removeEventListener('resize', onResize));

    // start on the centre slice of the most confident kept region, else the middle of the stack
    const first = [...report.regions].filter((r) => r.kept).sort((a, b) => b.vote.confidence - a.vote.confidence)[0];
    if (first) indexOf.axial = first.centreSlice;
    setPlane('axial');
    probe.drawNow();
    viewerBox.focus();
  }

  return {
    dispose() {
      disposed = true;
      for (const f of cleanups) f();
      if (window.__ctscreenViewer === probe) delete window.__ctscreenViewer;
    },
  };
}

function decisionPanel(c: Loaded): HTMLElement {
  const r = c.report;
  const d = r.decision;
  const rows = r.infections.map((s) => h('tr', {}, h('td', {}, s.displayName), h('td', { class: 'num' }, String(s.regionCount)), h('td', { class: 'num' }, formatPercent(s.noisyOr, 2)), h('td', { class: 'num' }, formatPercent(s.exportedConfidence, 1))));
  const lungRow = (name: string, s: NonNullable<CaseReport['lung']>['left']) =>
    h(
      'tr',
      {},
      h('td', {}, name),
      h('td', { class: 'num' }, s?.volumeMl == null ? '—' : `${s.volumeMl.toFixed(0)} mL`),
      h('td', { class: 'num' }, s?.involvedPercent == null ? '—' : `${s.involvedPercent.toFixed(1)} %`),
      h('td', { class: 'num small' }, s?.thirds ? (['upper', 'middle', 'lower'] as const).map((k) => (s.thirds![k] == null ? '—' : `${s.thirds![k]!.toFixed(1)}`)).join(' / ') : '—'),
    );
  return h(
    'section',
    { id: 'decision-panel', class: 'panel' },
    h('h2', {}, 'Decision'),
    h('p', { class: 'decision-line' }, h('strong', { id: 'decision-label' }, d.displayName), d.confidence === null ? '' : h('span', { id: 'decision-probability' }, ` — probability ${formatPercent(d.confidence)}`)),
    h('p', { class: 'muted small', id: 'decision-how' }, decisionHow(r)),
    d.notScreenedReason ? h('p', { class: 'error', id: 'not-screened' }, `Not screened: ${d.notScreenedReason}. This is not a finding of "no infection".`) : null,
    d.label === INDETERMINATE_LABEL ? h('p', { class: 'small', id: 'indeterminate' }, 'Indeterminate: the evidence lies between the operating thresholds; a clinician must read the CT.') : null,
    d.typeProbabilities && showsTypeSplit(d, r.regions.length)
      ? h('p', { class: 'small', id: 'type-probabilities' }, 'Type given infection: ', Object.entries(d.typeProbabilities).map(([l, p]) => `${r.classes.displayNames?.[l] ?? l} ${formatPercent(p)}`).join(', '))
      : null,
    r.paperDecision
      ? h('p', { class: 'small', id: 'paper-decision' }, `The paper's rule (§2.6.2): ${r.paperDecision.displayName}${r.paperDecision.confidence === null ? '' : ` ${formatPercent(r.paperDecision.confidence)}`} (${r.paperDecision.rule}${r.paperDecision.tie ? ', tie' : ''})`)
      : null,
    h('p', { class: 'muted small' }, `${r.regions.length} candidate regions, ${r.regions.filter((g) => g.kept).length} voted an infection type`),
    h('table', { class: 'small', id: 'infections' }, h('thead', {}, h('tr', {}, h('th', {}, 'Type'), h('th', {}, 'Regions'), h('th', {}, 'Noisy-OR P'), h('th', {}, 'Exported'))), h('tbody', {}, ...rows)),
    h('h3', {}, 'Lung involvement'),
    r.lung?.involvementFrom ? h('p', { class: 'muted small' }, `involved = inside the ${r.lung.involvementFrom === 'lesion-mask' ? 'lesion mask' : 'infection-voted candidate regions'}`) : null,
    r.lung
      ? h('table', { class: 'small', id: 'lung-stats' }, h('thead', {}, h('tr', {}, h('th', {}, 'Lung'), h('th', {}, 'Volume'), h('th', {}, 'Involved'), h('th', {}, 'Thirds U/M/L %'))), h('tbody', {}, lungRow('Right', r.lung.right), lungRow('Left', r.lung.left)))
      : h('p', { class: 'muted' }, 'no lung measurements'),
    h('h3', {}, 'Warnings'),
    r.warnings.length ? h('ul', { id: 'warnings', class: 'warnings small' }, ...r.warnings.map((w) => h('li', {}, w))) : h('p', { class: 'muted small' }, 'none'),
    h('h3', {}, 'Models'),
    h('ul', { id: 'models', class: 'small mono' }, ...r.models.map((m) => h('li', {}, `${m.role}: ${m.id} ${m.version}${m.sha256 ? ` (${m.sha256.slice(0, 12)})` : ''}`))),
  );
}

/** How the headline decision was made, in words: mode, calibrated P(infection) and the operating point. */
function decisionHow(r: CaseReport): string {
  const d = r.decision;
  if (d.mode === 'paper') return `the paper's rule (§2.6.2, ${d.rule}${d.tie ? '; tie: the first type in the class list was taken' : ''}); its confidence is not calibrated`;
  const parts = ['calibrated decision'];
  if (d.infectionProbability !== undefined) parts.push(`P(infection) ${formatPercent(d.infectionProbability)}`);
  const op = d.operatingPoint;
  if (op) parts.push(`infected at ≥ ${formatPercent(op.infectedAtOrAbove)}, no infection below ${formatPercent(op.noInfectionBelow)}${op.strongRegionAtOrAbove !== undefined ? ` unless a region reaches ${formatPercent(op.strongRegionAtOrAbove)} with ≥ ${op.strongRegionMinLesionMl ?? 0} mL of lesion mask (then indeterminate)` : ''}`);
  if (d.decisionModel) parts.push(`model ${d.decisionModel.id} ${d.decisionModel.version}`);
  return parts.join('; ');
}

function regionTable(c: Loaded): HTMLElement {
  const r = c.report;
  const name = (l: string) => r.classes.displayNames?.[l] ?? l;
  const rows = r.regions.map((g) =>
    h(
      'tr',
      { 'data-region': g.id, tabindex: 0, class: g.kept ? 'kept' : 'dropped', title: `Show ${g.id} on slice ${g.centreSlice}` },
      h('td', {}, g.id),
      h('td', {}, h('span', { class: 'swatch', style: `background:${rgbCss(classColour(g.vote.label))}` }), ` ${name(g.vote.label)}`, h('div', { class: 'muted small' }, `${formatPercent(g.vote.confidence, 0)} ${g.vote.rule}${g.infectionProbability === undefined ? '' : `; P(inf) ${formatPercent(g.infectionProbability, 0)}`}`)),
      h('td', { class: 'num' }, String(g.centreSlice)),
      h(
        'td',
        { class: 'small votes' },
        ...g.patches.map((p, i) => h('div', { class: i === g.vote.patchIndex ? 'vote-winner' : '' }, `z${p.sliceIndex}: ${name(p.predictedLabel)} ${formatPercent(p.confidence, 0)}`)),
      ),
      h('td', { class: 'small num' }, ...g.patches.map((p) => h('div', {}, p.distanceFromEdge === null ? '—' : p.distanceFromEdge.toFixed(2)))),
      h('td', { class: 'small num' }, g.volumeMl === null ? '—' : g.volumeMl.toFixed(1)),
    ),
  );
  return h(
    'section',
    { id: 'regions-panel', class: 'panel' },
    h('h2', {}, `Regions (${r.regions.length})`),
    h('p', { class: 'muted small' }, 'Click a region (or Tab to it and press Enter) to go to its centre slice. Votes: the three patches (centre slice and neighbours); distance: relative distance-from-edge of each patch (§2.5.1).'),
    h('div', { class: 'region-scroll' }, h('table', { id: 'regions', class: 'regions small' }, h('thead', {}, h('tr', {}, ...['Region', 'Voted', 'Slice', 'Patch votes', 'Distance', 'mL'].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows))),
  );
}
