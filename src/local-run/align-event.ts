/**
 * Embedded replay seeds its own bytes, so an event from elsewhere (a console or `s` template, a line from the
 * function's logs) names an ETag the seeded object cannot have, and the handler would rightly skip it as
 * `replaced`. Aligning points each record at the object replay seeded (its ETag, and its size where that
 * differs) so the run shows what the function does to such an object; keepEtag leaves the event untouched to
 * show the stale-event path on purpose. Never used against a real OSS: there the event is the evidence.
 */
import { sameEtag } from '../core/decide';
import type { EventFile } from './event-files';
import { readEventDocument, setObjectFields } from './event-records';
import type { StatView } from './stat-view';

export interface EventMismatch {
  /** The event's eTag and the seeded object's, when they differ. */
  eTag?: { event: string; seeded: string };
  /** The event's size and the seeded object's, when they differ (replay caps seeds at 8 MiB). */
  size?: { event: number; seeded: number };
  /** True when the handler got the seeded values; false with keepEtag. */
  substituted: boolean;
}

export interface AlignedEvent {
  /** The bytes to invoke the handler with: the file's own unless something was substituted. */
  raw: Buffer;
  /** By record index; only records whose event fields differ from the seeded object. */
  mismatches: Map<number, EventMismatch>;
}

/** `seeded[i]` is the view of record i's object right after seeding. */
export function alignEvent(file: EventFile, seeded: ReadonlyArray<StatView | undefined>, opts: { keepEtag?: boolean } = {}): AlignedEvent {
  const mismatches = new Map<number, EventMismatch>();
  for (const [i, ref] of file.refs.entries()) {
    const view = seeded[i];
    if (!view?.exists) continue;
    const m: EventMismatch = { substituted: false };
    if (ref.eTag && view.etag && !sameEtag(ref.eTag, view.etag)) m.eTag = { event: ref.eTag, seeded: view.etag };
    if (ref.size !== undefined && view.size !== undefined && ref.size !== view.size) m.size = { event: ref.size, seeded: view.size };
    if (m.eTag || m.size) mismatches.set(i, m);
  }
  if (opts.keepEtag || mismatches.size === 0) return { raw: file.raw, mismatches };

  const doc = readEventDocument(file.raw);
  // parseEvent and readEventDocument walk the same shapes; should they ever disagree, replay the file as is.
  if (doc.records.length !== file.refs.length) return { raw: file.raw, mismatches };
  for (const [i, m] of mismatches) {
    setObjectFields(doc, i, { ...(m.eTag ? { eTag: m.eTag.seeded } : {}), ...(m.size ? { size: m.size.seeded } : {}) });
    m.substituted = true;
  }
  return { raw: doc.serialize(), mismatches };
}
