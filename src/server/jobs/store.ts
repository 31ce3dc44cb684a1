/**
 * The embedded queue's job table: SQLite (better-sqlite3 12, WAL) in `<data>/jobs.sqlite`.
 *
 * Every change of state is one guarded UPDATE (or a transaction), so the state machine
 *   queued → running (claim: attempt + 1, lease) → done | failed | queued again (crash, expired lease)
 * cannot be walked twice: a completion names the attempt and the lease holder it belongs to, and a
 * stale one (the job was re-queued, deleted, or another holder took it) changes nothing.
 * One server holds a data folder at a time (holder row with pid + heartbeat); a new server takes
 * over a dead one's folder and re-queues its running jobs at once.
 */
import Database from 'better-sqlite3';
import { JOB_STATUSES, type JobDecision, type JobError, type JobRecord, type JobStatus, type NewJob, type StageTiming } from './types.ts';

export const SQLITE_FILE = 'jobs.sqlite';
/** Attempts after which a job whose worker keeps dying is failed (WORKER_LOST) rather than run again. */
export const MAX_ATTEMPTS = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  stage TEXT,
  progress REAL NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  input_name TEXT,
  input_file TEXT NOT NULL,
  input_bytes INTEGER NOT NULL,
  options TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  lease_holder TEXT,
  lease_until INTEGER,
  result_dir TEXT,
  decision TEXT,
  error TEXT,
  timings TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, seq);
CREATE TABLE IF NOT EXISTS holder (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  holder TEXT NOT NULL,
  pid INTEGER NOT NULL,
  until INTEGER NOT NULL
);
`;

interface Row {
  id: string;
  owner: string;
  status: JobStatus;
  stage: string | null;
  progress: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  input_name: string | null;
  input_file: string;
  input_bytes: number;
  options: string;
  attempt: number;
  result_dir: string | null;
  decision: string | null;
  error: string | null;
  timings: string | null;
}

function toRecord(r: Row): JobRecord {
  return {
    id: r.id,
    owner: r.owner,
    status: r.status,
    stage: r.stage,
    progress: r.progress,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    inputName: r.input_name,
    inputFile: r.input_file,
    inputBytes: r.input_bytes,
    options: JSON.parse(r.options),
    attempts: r.attempt,
    resultDir: r.result_dir,
    decision: r.decision ? (JSON.parse(r.decision) as JobDecision) : null,
    error: r.error ? (JSON.parse(r.error) as JobError) : null,
    timingsMs: r.timings ? JSON.parse(r.timings) : null,
  };
}

/** A claimed job: the attempt number and holder its later updates must name. */
export interface Claim {
  job: JobRecord;
  attempt: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class JobStore {
  readonly db: Database.Database;
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Takes the data folder for `holder` (this server); refuses while another live server holds it.
   * Jobs a dead holder left running are queued again (they keep their attempt count). Returns how many.
   */
  takeOver(holder: string, leaseMs: number, now = Date.now()): number {
    return this.db.transaction(() => {
      const h = this.db.prepare('SELECT holder, pid, until FROM holder WHERE one = 1').get() as { holder: string; pid: number; until: number } | undefined;
      if (h && h.holder !== holder && h.until > now && h.pid !== process.pid && pidAlive(h.pid)) {
        throw new Error(`another ctscreen server (pid ${h.pid}) is using this data folder`);
      }
      this.db.prepare('INSERT INTO holder (one, holder, pid, until) VALUES (1, ?, ?, ?) ON CONFLICT (one) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, until = excluded.until').run(holder, process.pid, now + leaseMs);
      return this.db.prepare("UPDATE jobs SET status = 'queued', stage = NULL, progress = 0, lease_holder = NULL, lease_until = NULL WHERE status = 'running' AND (lease_holder IS NULL OR lease_holder <> ?)").run(holder).changes;
    }).immediate();
  }

  /** Renews the folder's holder row and the leases of the holder's running jobs. */
  heartbeat(holder: string, leaseMs: number, now = Date.now()): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE holder SET until = ? WHERE one = 1 AND holder = ?').run(now + leaseMs, holder);
      this.db.prepare("UPDATE jobs SET lease_until = ? WHERE status = 'running' AND lease_holder = ?").run(now + leaseMs, holder);
    }).immediate();
  }

  /**
   * Running jobs whose lease ran out (their holder stopped renewing) go back to the queue, or fail
   * after MAX_ATTEMPTS. Returns [requeued, failed].
   */
  expireLeases(now = Date.now()): [number, number] {
    return this.db.transaction(() => {
      const failed = this.db
        .prepare("UPDATE jobs SET status = 'failed', finished_at = ?, error = ?, lease_holder = NULL, lease_until = NULL WHERE status = 'running' AND lease_until < ? AND attempt >= ?")
        .run(new Date(now).toISOString(), JSON.stringify({ code: 'WORKER_LOST', message: `the worker screening this job was lost on each of ${MAX_ATTEMPTS} attempts` }), now, MAX_ATTEMPTS).changes;
      const requeued = this.db.prepare("UPDATE jobs SET status = 'queued', stage = NULL, progress = 0, lease_holder = NULL, lease_until = NULL WHERE status = 'running' AND lease_until < ?").run(now).changes;
      return [requeued, failed] as [number, number];
    }).immediate();
  }

  insert(job: NewJob): void {
    this.db
      .prepare("INSERT INTO jobs (id, owner, status, created_at, input_name, input_file, input_bytes, options) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)")
      .run(job.id, job.owner, job.createdAt, job.inputName, job.inputFile, job.inputBytes, JSON.stringify(job.options));
  }

  get(id: string): JobRecord | null {
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  list(owner: string): JobRecord[] {
    return (this.db.prepare('SELECT * FROM jobs WHERE owner = ? ORDER BY seq').all(owner) as Row[]).map(toRecord);
  }

  /** Deletes the row; true when there was one. A running attempt's later updates then change nothing. */
  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id).changes === 1;
  }

  /** The oldest queued job becomes running under `holder`, attempt + 1; null when none is queued. */
  claim(holder: string, leaseMs: number, now = Date.now()): Claim | null {
    return this.db.transaction(() => {
      const r = this.db.prepare("SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1").get() as { id: string } | undefined;
      if (!r) return null;
      const changed = this.db
        .prepare("UPDATE jobs SET status = 'running', attempt = attempt + 1, lease_holder = ?, lease_until = ?, started_at = ?, stage = NULL, progress = 0 WHERE id = ? AND status = 'queued'")
        .run(holder, now + leaseMs, new Date(now).toISOString(), r.id).changes;
      if (changed !== 1) return null;
      const job = this.get(r.id)!;
      return { job, attempt: job.attempts };
    }).immediate();
  }

  private guard = "id = ? AND status = 'running' AND attempt = ? AND lease_holder = ?";

  progress(c: Claim, holder: string, stage: string, progress: number): boolean {
    return this.db.prepare(`UPDATE jobs SET stage = ?, progress = ? WHERE ${this.guard}`).run(stage, progress, c.job.id, c.attempt, holder).changes === 1;
  }

  /** Running → done, only for the attempt and holder that claimed it. False: stale, nothing changed. */
  complete(c: Claim, holder: string, result: { resultDir: string; decision: JobDecision; timingsMs: Record<string, number> }, now = Date.now()): boolean {
    return (
      this.db
        .prepare(`UPDATE jobs SET status = 'done', stage = NULL, progress = 1, finished_at = ?, result_dir = ?, decision = ?, timings = ?, error = NULL, lease_holder = NULL, lease_until = NULL WHERE ${this.guard}`)
        .run(new Date(now).toISOString(), result.resultDir, JSON.stringify(result.decision), JSON.stringify(result.timingsMs), c.job.id, c.attempt, holder).changes === 1
    );
  }

  /** Running → failed with `error` (the input's problem: running it again would fail again). */
  fail(c: Claim, holder: string, error: JobError, now = Date.now()): boolean {
    return (
      this.db
        .prepare(`UPDATE jobs SET status = 'failed', stage = NULL, finished_at = ?, error = ?, lease_holder = NULL, lease_until = NULL WHERE ${this.guard}`)
        .run(new Date(now).toISOString(), JSON.stringify(error), c.job.id, c.attempt, holder).changes === 1
    );
  }

  /** Running → queued after its worker died, or failed (WORKER_LOST) once MAX_ATTEMPTS are used. */
  retry(c: Claim, holder: string, why: string, now = Date.now()): 'queued' | 'failed' | 'stale' {
    if (c.attempt >= MAX_ATTEMPTS) return this.fail(c, holder, { code: 'WORKER_LOST', message: `the worker died on each of ${MAX_ATTEMPTS} attempts (last: ${why})` }, now) ? 'failed' : 'stale';
    const n = this.db.prepare(`UPDATE jobs SET status = 'queued', stage = NULL, progress = 0, lease_holder = NULL, lease_until = NULL WHERE ${this.guard}`).run(c.job.id, c.attempt, holder).changes;
    return n === 1 ? 'queued' : 'stale';
  }

  counts(): Record<JobStatus, number> {
    const out = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as { status: JobStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  stageTimings(): StageTiming[] {
    const sums = new Map<string, StageTiming>();
    for (const r of this.db.prepare("SELECT timings FROM jobs WHERE status = 'done' AND timings IS NOT NULL").all() as { timings: string }[]) {
      for (const [stage, ms] of Object.entries(JSON.parse(r.timings) as Record<string, number>)) {
        const s = sums.get(stage) ?? { stage, sumMs: 0, count: 0 };
        s.sumMs += ms;
        s.count++;
        sums.set(stage, s);
      }
    }
    return [...sums.values()];
  }
}
