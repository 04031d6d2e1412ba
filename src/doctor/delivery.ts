/**
 * Trigger delivery: one scratch object uploaded where the trigger listens (its prefix and suffix), then HEAD polled
 * until the deployed function has encrypted it, or the wait runs out (no event arrived, or the function failed).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { checkAbort, short, type DoctorContext } from './context';
import type { TriggerFilter } from './checks-function';
import { fail, ok, skip, type Check } from './report';

export interface DeliveryOptions {
  waitSeconds: number;
  pollMs: number;
  /** Called about once a second with the seconds left, for the countdown. */
  onTick?: (secondsLeft: number, key: string) => void;
}

export async function checkDelivery(ctx: DoctorContext, trigger: TriggerFilter | undefined, opts: DeliveryOptions): Promise<Check[]> {
  const title = 'Trigger delivery';
  const ev = 'Event key encoding';
  const notSeen = skip('evidence', 'evidence.event-key', ev, 'not observable from outside the function: its log line for the delivery object carries "eventKey" only when the event\'s key was URL-encoded');
  if (!ctx.write) return [skip('delivery', 'delivery', title, 'skipped (--no-write)'), notSeen];
  if (ctx.facts.retentionDays !== undefined) return [skip('delivery', 'delivery', title, 'skipped: a scratch object could not be deleted under the retention policy'), notSeen];
  if (!trigger) return [skip('delivery', 'delivery', title, 'skipped: no OSS trigger on this bucket'), notSeen];
  // Where the trigger fires, with a space and CJK in the name so the event-key encoding is exercised too.
  const key = ctx.scratch.track(`${trigger.prefix}oss-auto-encrypt-doctor ${ctx.scratch.runId} 检查${trigger.suffix}`);
  checkAbort(ctx.signal);
  try {
    await ctx.admin.put(ctx.bucket, key, Buffer.from('oss-auto-encrypt doctor: trigger delivery\n'), { 'content-type': 'text/plain' });
  } catch (err) {
    return [fail('delivery', 'delivery', title, `could not upload ${key}: ${short(err)}`, 'grant oss:PutObject to the user running doctor'), notSeen];
  }
  const started = Date.now();
  const deadline = started + opts.waitSeconds * 1000;
  let lastTick = -1;
  for (;;) {
    checkAbort(ctx.signal);
    const h = await ctx.admin.head(ctx.bucket, key);
    const sse = h['x-oss-server-side-encryption'];
    if (sse) return [ok('delivery', 'delivery', title, `the trigger fired and the function encrypted oss://${ctx.bucket}/${key} (${sse}) within ${Math.ceil((Date.now() - started) / 1000)} s`), notSeen];
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    if (Date.now() >= deadline) break;
    if (left !== lastTick) { opts.onTick?.(left, key); lastTick = left; }
    try {
      await sleep(Math.min(opts.pollMs, Math.max(1, deadline - Date.now())), undefined, { signal: ctx.signal });
    } catch { /* aborted: checkAbort above ends it */ }
  }
  return [fail('delivery', 'delivery', title, `no encryption within ${opts.waitSeconds} s: the event did not arrive, or the function failed on it`,
    `check that trigger ${trigger.name} is enabled and its invocationRole may call fc:InvokeFunction, then read the function's log (npx s logs); a slow first start may need --wait ${Math.max(opts.waitSeconds * 2, 60)}`), notSeen];
}
