/**
 * The service's /v1 API as the viewer uses it (issue 13): bearer token from sessionStorage on every
 * call, jobs, files, and uploads through XMLHttpRequest (fetch has no upload progress).
 */

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface Job {
  id: string;
  status: JobStatus;
  stage: string | null;
  progress: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  inputName: string;
  decision: null | { label: string; displayName: string; confidence: number | null };
  error: null | { code: string; message: string };
  files: string[];
}

const TOKEN_KEY = 'ctscreen.token';

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}
export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An API answer other than success; `status` 401 means the token was refused. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string }; code?: string; message?: string };
    const e = body.error ?? body;
    if (e.code) code = e.code;
    if (e.message) message = e.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) } });
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function listJobs(): Promise<Job[]> {
  return ((await (await call('/v1/jobs')).json()) as { jobs: Job[] }).jobs;
}

export async function getJob(id: string): Promise<Job> {
  return (await (await call(`/v1/jobs/${encodeURIComponent(id)}`)).json()) as Job;
}

export async function deleteJob(id: string): Promise<void> {
  await call(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function fileUrl(id: string, name: string): string {
  return `/v1/jobs/${encodeURIComponent(id)}/files/${encodeURIComponent(name)}`;
}

/** A job file's bytes, or null when the server has no such file (404). */
export async function getFile(id: string, name: string): Promise<ArrayBuffer | null> {
  const res = await fetch(fileUrl(id, name), { headers: authHeaders() });
  if (res.status === 404) return null;
  if (!res.ok) throw await errorOf(res);
  return res.arrayBuffer();
}

/** A job file as a response to read as a stream, or null when the server has no such file (404). */
export async function getFileResponse(id: string, name: string): Promise<Response | null> {
  const res = await fetch(fileUrl(id, name), { headers: authHeaders() });
  if (res.status === 404) return null;
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** Content-Type the service expects for an upload, from the file name. */
export function uploadContentType(fileName: string): string {
  const n = fileName.toLowerCase();
  if (n.endsWith('.zip')) return 'application/zip';
  if (n.endsWith('.nii.gz') || n.endsWith('.gz')) return 'application/gzip';
  if (n.endsWith('.png')) return 'image/png';
  if (n.endsWith('.jpg') || n.endsWith('.jpeg')) return 'image/jpeg';
  if (n.endsWith('.dcm')) return 'application/dicom';
  return 'application/octet-stream';
}

/** X-Filename must be a header value: printable ASCII as it is, anything else percent-encoded. */
export function filenameHeader(fileName: string): string {
  return /^[\x20-\x7e]*$/.test(fileName) ? fileName : encodeURIComponent(fileName);
}

/** Uploads `file` as a new job; `onProgress` gets the sent fraction 0…1. */
export function uploadJob(file: File, onProgress: (fraction: number) => void): Promise<{ id: string; status: JobStatus }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/jobs');
    const t = getToken();
    if (t) xhr.setRequestHeader('Authorization', `Bearer ${t}`);
    xhr.setRequestHeader('Content-Type', uploadContentType(file.name));
    xhr.setRequestHeader('X-Filename', filenameHeader(file.name));
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: { id?: string; status?: JobStatus; error?: { code?: string; message?: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // keep {}
      }
      if (xhr.status >= 200 && xhr.status < 300 && body.id) {
        onProgress(1);
        resolve({ id: body.id, status: body.status ?? 'queued' });
      } else {
        reject(new ApiError(xhr.status, body.error?.code ?? `HTTP_${xhr.status}`, body.error?.message ?? `upload refused (${xhr.status} ${xhr.statusText})`));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'upload failed: the server could not be reached'));
    xhr.send(file);
  });
}
