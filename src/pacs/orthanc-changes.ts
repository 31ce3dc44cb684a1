/**
 * Orthanc's change feed (GET /changes?since=N&limit=M): the series that became stable since the
 * cursor, with their DICOM UIDs (the feed names Orthanc's own ids). Read-only.
 *
 *   readStableSeries(client, since, limit): Promise<ChangesPage | null>   null: the archive has no feed
 */
import type { DicomWebClient } from './dicomweb.ts';

export const CHANGES_PAGE = 100;

interface OrthancChange {
  ChangeType: string;
  ID: string;
  ResourceType: string;
  Seq: number;
}

export interface StableSeries {
  /** The change's sequence number: the cursor moves past it once the series is handled. */
  seq: number;
  studyUid: string;
  seriesUid: string;
}

export interface ChangesPage {
  series: StableSeries[];
  /** Cursor after this page. */
  last: number;
  done: boolean;
}

export async function readStableSeries(client: DicomWebClient, since: number, limit = CHANGES_PAGE): Promise<ChangesPage | null> {
  const page = await client.archive<{ Changes: OrthancChange[]; Done: boolean; Last: number }>(`/changes?since=${since}&limit=${limit}`, 'Orthanc /changes');
  if (!page || !Array.isArray(page.Changes)) return null;
  const series: StableSeries[] = [];
  for (const c of page.Changes) {
    if (c.ChangeType !== 'StableSeries' || c.ResourceType !== 'Series') continue;
    const s = await client.archive<{ MainDicomTags: { SeriesInstanceUID: string }; ParentStudy: string }>(`/series/${encodeURIComponent(c.ID)}`, 'Orthanc /series');
    if (!s) continue; // gone since (deleted by someone else)
    const st = await client.archive<{ MainDicomTags: { StudyInstanceUID: string } }>(`/studies/${encodeURIComponent(s.ParentStudy)}`, 'Orthanc /studies');
    if (!st) continue;
    series.push({ seq: c.Seq, studyUid: st.MainDicomTags.StudyInstanceUID, seriesUid: s.MainDicomTags.SeriesInstanceUID });
  }
  return { series, last: page.Last, done: page.Done };
}
