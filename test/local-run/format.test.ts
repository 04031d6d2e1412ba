import { formatObject } from '../../src/local-run/format';
import type { ObjectReplay } from '../../src/local-run/replay';

const view = { exists: true, etag: 'SEEDED', size: 10, userMeta: {} };
const object = (extra: Partial<ObjectReplay>): ObjectReplay => ({ bucket: 'b', key: 'k', before: view, after: view, ...extra });

describe('formatObject: the eTag/size line', () => {
  test('embedded, substituted: says what replaced what and how to keep the event', () => {
    const lines = formatObject(object({ seeded: 'normal', eventMismatch: { eTag: { event: 'EV', seeded: 'SEEDED' }, size: { event: 0, seeded: 4096 }, substituted: true } }));
    expect(lines[1]).toBe("   event eTag EV → SEEDED, size 0 → 4096 (the seeded object's: a local copy cannot have the bytes behind the event's eTag); --keep-etag replays the event as is");
  });

  test('embedded, --keep-etag: the handler sees another object', () => {
    const lines = formatObject(object({ seeded: 'normal', eventMismatch: { eTag: { event: 'EV', seeded: 'SEEDED' }, substituted: false } }));
    expect(lines[1]).toBe("   event kept as is (--keep-etag): its eTag EV is not the object's SEEDED, so the handler sees another object than the event's");
  });

  test('remote: the event is never edited; an eTag difference means the object changed since', () => {
    expect(formatObject(object({ eventMismatch: { eTag: { event: 'EV', seeded: 'NOW' }, substituted: false } }))[1])
      .toBe("   event replayed as is: its eTag EV is not the object's NOW (the object changed since the event), so the handler leaves the object alone");
    // Only the eTag guards the object: a size difference alone promises nothing.
    expect(formatObject(object({ eventMismatch: { size: { event: 5, seeded: 10 }, substituted: false } }))[1])
      .toBe("   event replayed as is: its size 5 is not the object's 10");
  });
});
