/**
 * Trigger delivery: scratch objects uploaded where the trigger listens (its prefix and suffix), then HEAD polled
 * until the deployed function has encrypted them, or the wait runs out (no event arrived, or the function failed).
 *
 * It also observes how the event names a key (oss-evidence.md §22, STILL UNKNOWN): next to a control object with an
 * ASCII-only name, an object K named with a space and CJK is uploaded after decoys named as K's URL-encoded forms
 * would be. An event carrying K verbatim makes the function encrypt K. An event carrying an encoded form makes the
 * function HEAD the decoy of that name, whose ETag differs from K's, so it skips it as replaced: K stays plaintext.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { checkAbort, doctorUserFailure, encryptedAtUpload, short, type DoctorContext } from './context';
import type { TriggerFilter } from './checks-function';
import { fail, ok, skip, warn, type Check } from './report';

export interface DeliveryOptions {
  waitSeconds: number;
  pollMs: number;
  /** After the control object is encrypted, how long K may still take before its key is judged not verbatim. */
  graceMs?: number;
  /** Called about once a second with the seconds left, for the countdown. */
  onTick?: (secondsLeft: number, key: string) => void;
}

/** The forms an event could name `key` in: per-segment percent-encoding, the same with '+' for spaces, whole-key. */
export function encodedForms(key: string): string[] {
  const perSegment = key.split('/').map(encodeURIComponent).join('/');
  return [...new Set([perSegment, perSegment.replace(/%20/g, '+'), encodeURIComponent(key)])].filter((k) => k !== key);
}

export async function checkDelivery(ctx: DoctorContext, trigger: TriggerFilter | undefined, opts: DeliveryOptions): Promise<Check[]> {
  const title = 'Trigger delivery';
  const ev = 'Event key encoding';
  const notSeen = (why: string) => skip('evidence', 'evidence.event-key', ev, `not observed: ${why}`);
  if (!ctx.write) return [skip('delivery', 'delivery', title, 'skipped (--no-write)'), notSeen('--no-write')];
  if (ctx.facts.writeBlocked) return [skip('delivery', 'delivery', title, `skipped: ${ctx.facts.writeBlocked}`), notSeen(ctx.facts.writeBlocked)];
  if (!trigger) return [skip('delivery', 'delivery', title, 'skipped: no OSS trigger on this bucket'), notSeen('no trigger')];
  const name = (middle: string) => ctx.scratch.track(`${trigger.prefix}oss-auto-encrypt-doctor${middle}${trigger.suffix}`);
  const control = name(`-${ctx.scratch.runId}-delivery`);
  const special = name(` ${ctx.scratch.runId} 检查`);
  const decoys = encodedForms(special).map((k) => ctx.scratch.track(k));
  let specialAtUpload = false;
  let controlAtUpload = false;
  try {
    checkAbort(ctx.signal);
    await ctx.scratch.recordTracked();
    for (const d of decoys) {
      checkAbort(ctx.signal);
      await ctx.admin.put(ctx.bucket, d, Buffer.from(`oss-auto-encrypt doctor: decoy for ${special}\n`), { 'content-type': 'text/plain' });
    }
    checkAbort(ctx.signal);
    specialAtUpload = encryptedAtUpload(await ctx.admin.put(ctx.bucket, special, Buffer.from('oss-auto-encrypt doctor: event key encoding\n'), { 'content-type': 'text/plain' }));
    controlAtUpload = encryptedAtUpload(await ctx.admin.put(ctx.bucket, control, Buffer.from('oss-auto-encrypt doctor: trigger delivery\n'), { 'content-type': 'text/plain' }));
  } catch (err) {
    if (err instanceof Error && err.name === 'Interrupted') throw err;
    return [fail('delivery', 'delivery', title, `could not upload the delivery objects: ${short(err)}`, 'grant oss:PutObject to the user running doctor'), notSeen('upload failed')];
  }
  // Encrypted by OSS itself at upload (bucket default encryption): the function would skip it as already-encrypted,
  // so its encryption is no evidence that the trigger fired. Only a plaintext upload turning encrypted is.
  if (controlAtUpload) {
    return [warn('delivery', 'delivery', title, 'not provable here: bucket default encryption encrypts at upload, so an encrypted delivery object says nothing about the trigger',
      `upload a file under "${trigger.prefix}" and look for its log line (npx s logs); the function logs "skipped already-encrypted" for it`), notSeen('bucket default encryption encrypts at upload')];
  }
  const started = Date.now();
  const deadline = started + opts.waitSeconds * 1000;
  const encrypted = async (key: string) => Boolean((await ctx.admin.head(ctx.bucket, key))['x-oss-server-side-encryption']);
  let controlAt: number | undefined;
  let controlSse = '';
  let lastTick = -1;
  try {
    return await poll(trigger);
  } catch (err) {
    if (err instanceof Error && err.name === 'Interrupted') throw err;
    const f = doctorUserFailure(err);
    return [fail('delivery', 'delivery', title, `could not look at the delivery object: ${f.found}`, f.fix.replace('<bucket>', ctx.bucket)), notSeen('the delivery object could not be read')];
  }

  // The trigger is passed in again: a nested function does not keep the narrowing from the check above.
  async function poll(trigger: TriggerFilter): Promise<Check[]> {
    for (;;) {
      checkAbort(ctx.signal);
      if (controlAt === undefined && (await encrypted(control))) {
        controlAt = Date.now();
        controlSse = (await ctx.admin.head(ctx.bucket, control))['x-oss-server-side-encryption'] ?? '';
      }
      if (controlAt !== undefined) {
        const delivered = ok('delivery', 'delivery', title, `the trigger fired and the function encrypted oss://${ctx.bucket}/${control} (${controlSse}) within ${Math.ceil((controlAt - started) / 1000)} s`);
        if (specialAtUpload) return [delivered, notSeen('bucket default encryption encrypted the object at upload')];
        if (await encrypted(special)) {
          return [delivered, ok('evidence', 'evidence.event-key', ev, `verbatim: the event named "${special.slice(trigger.prefix.length)}" (space, CJK) exactly as stored`)];
        }
        if (Date.now() - controlAt >= (opts.graceMs ?? 3000) || Date.now() >= deadline) {
          return [delivered, ok('evidence', 'evidence.event-key', ev, `URL-encoded (or late): the object named with a space and CJK stayed plaintext while its ${decoys.length} URL-encoded namesakes existed, so its event named one of them; the function decodes such keys after a 404`)];
        }
      } else if (Date.now() >= deadline) {
        break;
      }
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      if (controlAt === undefined && left !== lastTick) { opts.onTick?.(left, control); lastTick = left; }
      try {
        await sleep(Math.min(opts.pollMs, Math.max(1, deadline - Date.now())), undefined, { signal: ctx.signal });
      } catch { /* aborted: checkAbort above ends it */ }
    }
    return [fail('delivery', 'delivery', title, `no encryption within ${opts.waitSeconds} s: the event did not arrive, or the function failed on it`,
      `check that trigger ${trigger.name} is enabled and its invocationRole may call fc:InvokeFunction, then read the function's log (npx s logs); a slow first start may need --wait ${Math.max(opts.waitSeconds * 2, 60)}`), notSeen('no event arrived')];
  }
}
