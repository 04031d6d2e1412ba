/**
 * What a backfill of the plaintext part would cost: OSS requests (the same per-object steps as src/core/encrypt.ts),
 * and wall time from a measured round trip. The time is a model, stated with its assumptions, not a promise: it
 * leaves out the copy's own server time (large objects take longer) and throttling.
 */
import { MAX_PARTS, type Policy } from '../config';
import { DEFAULT_CONCURRENCY } from '../backfill/run';

export interface CostInputs {
  objects: number;
  plaintextObjects: number;
  encryptedObjects: number;
  /** Objects whose encryption is not known (an inventory row without a value, a failed HEAD): a backfill HEADs them. */
  unknownObjects?: number;
  /** Copy-side requests for the plaintext objects: 1 per CopyObject, Initiate + parts + Complete per multipart object. */
  copyRequests: number;
  /** Plaintext objects in archive classes: HEADed, then skipped as archive-not-restored unless restored first. */
  archivedPlaintext?: number;
}

export interface BackfillEstimate {
  plaintextObjects: number;
  /** Plaintext objects in Archive/ColdArchive/DeepColdArchive: restore them first, or the backfill skips them. */
  archivedPlaintext: number;
  /** Plaintext objects a backfill would rewrite now. */
  toEncrypt: number;
  /**
   * Requests of `backfill --manifest`: encrypted rows cost none (a HEAD each with SSE_ON_MISMATCH=reencrypt);
   * every plaintext row a HEAD (+ ACL read) + copy.
   */
  fromInventory: { requests: number; perObject: number };
  /** Requests of `backfill` from a listing: LIST pages, a HEAD for every object, then ACL read + copy for plaintext ones. */
  fromListing: { requests: number; perObject: number };
  /** Measured round trip to the endpoint in ms (median of a few bucket-level requests), when measured. */
  roundTripMs?: number;
  /** 'measured' (three bucket-level requests) or 'given' (--rtt-ms). */
  roundTripSource?: 'measured' | 'given';
  /**
   * SSE_ON_MISMATCH=reencrypt: encrypted objects HEADed too (by both kinds of backfill), to find those under another
   * algorithm or key; their copies are not in the figures (neither an inventory nor a sample says how many differ).
   */
  reencryptHeads?: number;
  /** Objects of unknown encryption, HEADed by a backfill (in fromInventory; their possible copies are not). */
  unknownHeads?: number;
  /** Sequential requests per plaintext object (HEAD, ACL read, copy). */
  sequentialRequests: number;
  local?: { concurrency: number; seconds: number };
  fanout?: { batchSize: number; instances: number; perInstanceConcurrency: number; invocations: number; seconds: number };
}

/** Copy requests for one object of `size` bytes under the policy (1 = CopyObject; more = multipart copy). */
export function copyRequestsFor(policy: Pick<Policy, 'multipartThresholdBytes' | 'multipartPartBytes'>): (size: number) => number {
  return (size) => {
    if (size <= policy.multipartThresholdBytes) return 1;
    const part = Math.max(policy.multipartPartBytes, Math.ceil(size / MAX_PARTS));
    return 2 + Math.ceil(size / part);
  };
}

export interface EstimateOptions {
  policy: Pick<Policy, 'preserveAcl' | 'concurrency'> & Partial<Pick<Policy, 'onMismatch'>>;
  roundTripMs?: number;
  roundTripSource?: 'measured' | 'given';
  concurrency?: number;
  fanout?: { batchSize: number; instances: number };
}

export function estimateBackfill(c: CostInputs, o: EstimateOptions): BackfillEstimate {
  const acl = o.policy.preserveAcl ? 1 : 0;
  const perPlain = 1 + acl; // HEAD + ACL read, before the copy requests
  const archived = c.archivedPlaintext ?? 0;
  const toEncrypt = c.plaintextObjects - archived;
  // An archived object costs its HEAD only (decide skips it before the ACL read).
  const reencryptHeads = o.policy.onMismatch === 'reencrypt' ? c.encryptedObjects : 0;
  // Unknown rows are HEADed by a backfill (their copies, if plaintext, are not in the figure).
  const unknownHeads = c.unknownObjects ?? 0;
  const inventoryRequests = toEncrypt * perPlain + archived + c.copyRequests + reencryptHeads + unknownHeads;
  const listPages = Math.ceil(c.objects / 1000);
  const listingRequests = listPages + c.objects + toEncrypt * acl + c.copyRequests;
  const per = (n: number) => (c.objects > 0 ? n / c.objects : 0);
  const sequential = perPlain + 1;
  const est: BackfillEstimate = {
    plaintextObjects: c.plaintextObjects,
    archivedPlaintext: archived,
    toEncrypt,
    fromInventory: { requests: inventoryRequests, perObject: per(inventoryRequests) },
    fromListing: { requests: listingRequests, perObject: per(listingRequests) },
    sequentialRequests: sequential,
    ...(reencryptHeads > 0 ? { reencryptHeads } : {}),
    ...(unknownHeads > 0 ? { unknownHeads } : {}),
  };
  if (o.roundTripMs !== undefined) {
    est.roundTripMs = o.roundTripMs;
    est.roundTripSource = o.roundTripSource ?? 'given';
    const perObjectMs = sequential * o.roundTripMs;
    const concurrency = o.concurrency ?? DEFAULT_CONCURRENCY;
    est.local = { concurrency, seconds: (Math.ceil(toEncrypt / concurrency) * perObjectMs) / 1000 };
    if (o.fanout) {
      const { batchSize, instances } = o.fanout;
      const invocations = Math.ceil(toEncrypt / batchSize);
      const perInvocationMs = Math.ceil(batchSize / o.policy.concurrency) * perObjectMs;
      est.fanout = { batchSize, instances, perInstanceConcurrency: o.policy.concurrency, invocations, seconds: (Math.ceil(invocations / instances) * perInvocationMs) / 1000 };
    }
  }
  return est;
}
