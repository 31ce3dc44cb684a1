/**
 * The worklist at `/`: the caller's jobs, polled while any is queued or running, and uploads by
 * drag-and-drop or file picker with a progress bar.
 */
import { ApiError, deleteJob, listJobs, uploadJob, type Job } from './api.ts';
import { clear, h } from './dom.ts';
import { formatDuration, formatPercent, formatTime } from './format.ts';

/** Poll period while a job is queued or running, and when all are finished (ms). */
export const POLL_ACTIVE_MS = 1000;
export const POLL_IDLE_MS = 5000;

export interface WorklistHandle {
  dispose(): void;
}

export function mountWorklist(root: HTMLElement, onAuthError: (e: ApiError) => void): WorklistHandle {
  clear(root);
  const fileInput = h('input', { type: 'file', id: 'file-input', accept: '.zip,.nii,.nii.gz,.gz,.png,.jpg,.jpeg,.dcm', 'aria-label': 'Choose a CT to upload' });
  const bar = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true });
  const uploadStatus = h('span', { id: 'upload-status', role: 'status' });
  const drop = h(
    'section',
    { id: 'drop-zone', class: 'drop-zone', tabindex: 0, 'aria-label': 'Upload a CT: drop a file here or press Enter to choose one' },
    h('p', {}, 'Drop a CT here — a DICOM series as .zip, a NIfTI (.nii / .nii.gz) or one PNG/JPEG slice — or ', h('label', { for: 'file-input', class: 'link' }, 'choose a file'), '.'),
    fileInput,
    h('div', { class: 'upload-line' }, bar, uploadStatus),
  );
  const tbody = h('tbody', { id: 'jobs-body' });
  const table = h(
    'table',
    { id: 'jobs', class: 'jobs' },
    h('thead', {}, h('tr', {}, ...['Input', 'Status', 'Decision', 'Probability', 'Submitted', 'Took', ''].map((t) => h('th', {}, t)))),
    tbody,
  );
  const empty = h('p', { id: 'jobs-empty', class: 'muted', hidden: true }, 'No jobs yet: upload a CT above.');
  const errorLine = h('p', { id: 'worklist-error', class: 'error', role: 'alert', hidden: true });
  root.append(h('h1', {}, 'Worklist'), drop, errorLine, table, empty);

  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const showError = (msg: string | null) => {
    errorLine.hidden = msg === null;
    errorLine.textContent = msg ?? '';
  };

  function render(jobs: Job[]): void {
    clear(tbody);
    empty.hidden = jobs.length > 0;
    for (const j of jobs) tbody.append(jobRow(j));
  }

  function jobRow(j: Job): HTMLTableRowElement {
    const statusCell = h('td', { class: `status status-${j.status}` });
    if (j.status === 'running' || j.status === 'queued') {
      const p = Math.max(0, Math.min(1, j.progress ?? 0));
      statusCell.append(h('span', {}, j.status === 'queued' ? 'queued' : `${j.stage ?? 'running'}`), ' ', h('progress', { class: 'stage-progress', max: 1, value: p, 'aria-label': `progress ${Math.round(100 * p)} %` }), h('span', { class: 'muted' }, ` ${Math.round(100 * p)} %`));
    } else if (j.status === 'failed') {
      statusCell.append(h('span', {}, 'failed'));
      if (j.error) statusCell.append(h('div', { class: 'error small' }, `${j.error.code}: ${j.error.message}`));
    } else {
      statusCell.append('done');
    }
    const open = j.status === 'done' ? h('a', { href: `#/case/${encodeURIComponent(j.id)}`, class: 'open' }, j.inputName || j.id) : h('span', {}, j.inputName || j.id);
    const del = h('button', { type: 'button', class: 'small-button', title: 'Delete this job and its files' }, 'Delete');
    del.addEventListener('click', async () => {
      if (!confirm(`Delete the job for ${j.inputName || j.id} and its files?`)) return;
      try {
        await deleteJob(j.id);
        void refresh();
      } catch (e) {
        showError(`could not delete: ${(e as Error).message}`);
      }
    });
    return h(
      'tr',
      { 'data-job-id': j.id, 'data-status': j.status },
      h('td', {}, open),
      statusCell,
      h('td', { class: 'decision' }, j.decision ? j.decision.displayName : j.status === 'done' ? '—' : ''),
      h('td', { class: 'probability' }, j.decision ? formatPercent(j.decision.confidence) : ''),
      h('td', {}, formatTime(j.createdAt)),
      h('td', {}, formatDuration(j.startedAt ?? j.createdAt, j.finishedAt)),
      h('td', {}, del),
    );
  }

  async function refresh(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    let active = false;
    try {
      const jobs = await listJobs();
      if (disposed) return;
      showError(null);
      render(jobs);
      active = jobs.some((j) => j.status === 'queued' || j.status === 'running');
    } catch (e) {
      if (disposed) return;
      if (e instanceof ApiError && e.status === 401) return onAuthError(e);
      showError(`could not load the jobs: ${(e as Error).message}`);
    }
    if (!disposed) timer = setTimeout(refresh, active ? POLL_ACTIVE_MS : POLL_IDLE_MS);
  }

  async function upload(file: File): Promise<void> {
    bar.hidden = false;
    bar.value = 0;
    uploadStatus.textContent = `uploading ${file.name} …`;
    try {
      await uploadJob(file, (f) => {
        bar.value = f;
        uploadStatus.textContent = `uploading ${file.name}: ${Math.round(100 * f)} %`;
      });
      uploadStatus.textContent = `${file.name} uploaded; screening is queued`;
      void refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return onAuthError(e);
      uploadStatus.textContent = '';
      bar.hidden = true;
      showError(`upload of ${file.name} refused: ${(e as Error).message}`);
    }
  }

  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void upload(f);
    fileInput.value = '';
  });
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      fileInput.click();
    }
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 1) showError(`drop one file at a time (a DICOM series as one .zip); got ${files.length}`);
    else if (files[0]) void upload(files[0]);
  });

  void refresh();
  return {
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
