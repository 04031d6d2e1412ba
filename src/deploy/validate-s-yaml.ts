/**
 * Offline checks of a rendered s.yaml (the JSON `s preview -o json` prints). `s verify` and
 * `s deploy` need the network to fetch fc3's schema, so this module re-states the parts of
 * devsapp/fc3:src/schema.json we rely on plus this project's own safety rules. Pure: object in,
 * list of problems out (empty = fine); each problem names the path and what to change.
 */

/** The trigger events that create a complete object: what the function subscribes to by default. */
export const DEFAULT_TRIGGER_EVENTS = [
  'oss:ObjectCreated:PutObject',
  'oss:ObjectCreated:PostObject',
  'oss:ObjectCreated:CompleteMultipartUpload',
] as const;

/**
 * Events that also fire on the function's own in-place copy: one extra invocation per object, a loop
 * that ends only because the second HEAD sees SSE (function-compute.md §2 "Infinite loop").
 */
export const SELF_TRIGGERING_EVENTS = ['oss:ObjectCreated:CopyObject', 'oss:ObjectCreated:*'] as const;

/** `sourceArn` of an OSS trigger: acs:oss:<region>:<account id>:<bucket> (bucket naming rules: 3–63, a-z0-9-). */
export const SOURCE_ARN_PATTERN = /^acs:oss:[a-z0-9-]+:\d+:[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** RAM role ARN; role names are 1–64 of letters, digits, '.', '-'. */
export const ROLE_ARN_PATTERN = /^acs:ram::\d+:role\/[A-Za-z0-9.-]{1,64}$/;
/** onFailure destinations FC accepts: a function, an MNS queue/topic, or EventBridge/RocketMQ (function-compute.md §2). */
const DESTINATION_PATTERN = /^acs:(fc|mns|eventbridge|mq):[a-z0-9-]*:\d*:\S+$/;
const REGION_PATTERN = /^[a-z]{2}-[a-z0-9-]+$/;
const FUNCTION_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const SLS_PROJECT_PATTERN = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const SLS_LOGSTORE_PATTERN = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;

export interface ValidateOptions {
  /** Every environment variable the function reads; each must be passed to it. */
  requiredEnvVars: readonly string[];
  /** Permit CopyObject / ObjectCreated:* (the user opted in knowingly). Default false. */
  allowSelfTriggeringEvents?: boolean;
  /** Expected `handler`/initializer entry names; defaults match the bundle (index.handler, index.initialize). */
  handler?: string;
  initializer?: string;
  /** Expected runtime; default nodejs20. */
  runtime?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Paths whose string value still contains `${…}`: a variable `s preview` could not resolve. */
function unrendered(value: unknown, path: string, out: string[]): void {
  if (typeof value === 'string') {
    if (value.includes('${')) out.push(`${path}: "${value}" is not rendered; set the variable it names (see docs/deploy.md) before deploying.`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => unrendered(v, `${path}[${i}]`, out));
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) unrendered(v, path ? `${path}.${k}` : k, out);
  }
}

/** Checks the rendered template; returns every problem found (empty when it is safe to deploy). */
export function validateRenderedTemplate(rendered: unknown, opts: ValidateOptions): string[] {
  const problems: string[] = [];
  const p = (path: string, msg: string) => problems.push(`${path}: ${msg}`);
  if (!isObj(rendered)) return ['template: the rendered s.yaml is not an object; run `s preview -t s.yaml -o json` to see what it renders to.'];

  unrendered(rendered, '', problems);
  if (rendered.edition !== '3.0.0') p('edition', `is ${JSON.stringify(rendered.edition)}; FC 3.0 with component fc3 needs "3.0.0".`);

  const resources = isObj(rendered.resources) ? rendered.resources : undefined;
  const fc = resources ? Object.entries(resources).filter(([, r]) => isObj(r) && typeof r.component === 'string' && /^fc3(@|$)/.test(r.component)) : [];
  if (fc.length !== 1) {
    p('resources', `must hold exactly one resource with component fc3 (found ${fc.length}).`);
    return problems;
  }
  const [resName, res] = fc[0] as [string, Obj];
  const at = `resources.${resName}`;
  checkActions(res.actions, `${at}.actions`, p);
  if (!isObj(res.props)) {
    p(`${at}.props`, 'is missing.');
    return problems;
  }
  const props = res.props;
  const pp = `${at}.props`;
  const region = props.region;

  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) p(`${pp}.region`, `is ${JSON.stringify(region)}; expected a region id such as cn-hangzhou.`);
  if (typeof props.functionName !== 'string' || !FUNCTION_NAME_PATTERN.test(props.functionName)) {
    p(`${pp}.functionName`, `is ${JSON.stringify(props.functionName)}; expected 1–128 letters, digits, '_' or '-', not starting with a digit or '-'.`);
  }
  const runtime = opts.runtime ?? 'nodejs20';
  if (props.runtime !== runtime) p(`${pp}.runtime`, `is ${JSON.stringify(props.runtime)}; expected ${runtime}.`);
  const handler = opts.handler ?? 'index.handler';
  if (props.handler !== handler) p(`${pp}.handler`, `is ${JSON.stringify(props.handler)}; the bundle exports ${handler}.`);
  if (typeof props.code !== 'string' || props.code === '') p(`${pp}.code`, 'must be the bundle directory (e.g. ./dist/fc).');
  const init = isObj(props.instanceLifecycleConfig) && isObj(props.instanceLifecycleConfig.initializer) ? props.instanceLifecycleConfig.initializer : undefined;
  const initializer = opts.initializer ?? 'index.initialize';
  if (!init || init.handler !== initializer) {
    p(`${pp}.instanceLifecycleConfig.initializer.handler`, `must be ${initializer} so a bad policy fails the instance at start.`);
  } else if (init.timeout !== undefined && !isInt(init.timeout, 1, 600)) {
    p(`${pp}.instanceLifecycleConfig.initializer.timeout`, 'must be a whole number of seconds from 1 to 600.');
  }
  // devsapp/fc3:src/schema.json: memorySize integer, multiple of 64, 128..32768; timeout 1..86400.
  if (!isInt(props.memorySize, 128, 32768) || props.memorySize % 64 !== 0) {
    p(`${pp}.memorySize`, `is ${JSON.stringify(props.memorySize)}; expected a multiple of 64 from 128 to 32768 (MB).`);
  }
  if (!isInt(props.timeout, 1, 86400)) p(`${pp}.timeout`, `is ${JSON.stringify(props.timeout)}; expected whole seconds from 1 to 86400.`);
  else if (props.timeout < 60) p(`${pp}.timeout`, `is ${props.timeout} s; the multipart path needs minutes (default 900).`);
  if (props.instanceConcurrency !== 1) p(`${pp}.instanceConcurrency`, 'must be 1: FC 3.0 standard runtimes run one request per instance.');
  if (props.internetAccess !== undefined && typeof props.internetAccess !== 'boolean') p(`${pp}.internetAccess`, 'must be true or false.');
  if (typeof props.role !== 'string' || !ROLE_ARN_PATTERN.test(props.role)) {
    p(`${pp}.role`, `is ${JSON.stringify(props.role)}; expected acs:ram::<account id>:role/<role name> (create it with \`oss-auto-encrypt policy\`).`);
  }

  checkLogConfig(props.logConfig, `${pp}.logConfig`, p);
  checkEnv(props.environmentVariables, `${pp}.environmentVariables`, opts.requiredEnvVars, p);
  checkAsync(props.asyncInvokeConfig, `${pp}.asyncInvokeConfig`, p);
  const bucket = checkTriggers(props.triggers, `${pp}.triggers`, { region, role: props.role, allowSelf: opts.allowSelfTriggeringEvents ?? false }, p);

  // ALLOWED_BUCKETS that omits the trigger's bucket would refuse every event.
  const env = isObj(props.environmentVariables) ? props.environmentVariables : {};
  const allowed = typeof env.ALLOWED_BUCKETS === 'string' ? env.ALLOWED_BUCKETS.split(',').map((b) => b.trim()).filter(Boolean) : [];
  if (bucket && allowed.length > 0 && !allowed.includes(bucket)) {
    p(`${pp}.environmentVariables.ALLOWED_BUCKETS`, `is "${String(env.ALLOWED_BUCKETS)}" but the trigger's bucket is "${bucket}": every event would be refused. Add it or leave ALLOWED_BUCKETS at its default.`);
  }
  return problems;
}

function checkActions(actions: unknown, at: string, p: (path: string, msg: string) => void): void {
  const pre = isObj(actions) ? actions['pre-deploy'] : undefined;
  const runs = Array.isArray(pre) ? pre.filter(isObj).map((a) => a.run) : [];
  if (!runs.some((r) => typeof r === 'string' && /\bnpm run build\b/.test(r))) {
    p(`${at}.pre-deploy`, 'must run `npm ci && npm run build` so the deployed bundle matches the source.');
  }
}

function checkLogConfig(log: unknown, at: string, p: (path: string, msg: string) => void): void {
  if (!isObj(log)) {
    p(at, 'must be an explicit {project, logstore, logBeginRule: None}; `auto` creates a logstore whose DefaultRegex rule glues JSON log lines together.');
    return;
  }
  if (typeof log.project !== 'string' || !SLS_PROJECT_PATTERN.test(log.project)) p(`${at}.project`, `is ${JSON.stringify(log.project)}; expected an SLS project name (3–63 of a-z, 0-9, '-').`);
  if (typeof log.logstore !== 'string' || !SLS_LOGSTORE_PATTERN.test(log.logstore)) p(`${at}.logstore`, `is ${JSON.stringify(log.logstore)}; expected a logstore name (3–63 of a-z, 0-9, '_', '-').`);
  if (log.logBeginRule !== 'None') p(`${at}.logBeginRule`, `is ${JSON.stringify(log.logBeginRule)}; must be None so each pino JSON line stays its own log entry.`);
}

function checkEnv(env: unknown, at: string, required: readonly string[], p: (path: string, msg: string) => void): void {
  if (!isObj(env)) {
    p(at, `is missing; the function reads ${required.join(', ')}.`);
    return;
  }
  const missing = required.filter((name) => !(name in env));
  if (missing.length) p(at, `does not pass ${missing.join(', ')}; add each as NAME: \${env('NAME', '<default>')}.`);
  for (const [k, v] of Object.entries(env)) {
    // fc3 schema IKV: values are strings; a YAML number or boolean would be rejected by `s deploy`.
    if (typeof v !== 'string') p(`${at}.${k}`, `is ${JSON.stringify(v)} (${typeof v}); environment values must be strings, quote it.`);
    if (k.startsWith('FC_')) p(`${at}.${k}`, 'uses the reserved FC_ prefix; FC rejects it.');
  }
}

function checkAsync(cfg: unknown, at: string, p: (path: string, msg: string) => void): void {
  if (!isObj(cfg)) {
    p(at, 'is missing; set maxAsyncRetryAttempts and maxAsyncEventAgeInSeconds explicitly (the API and fc3 defaults disagree).');
    return;
  }
  if (!isInt(cfg.maxAsyncRetryAttempts, 0, 8)) p(`${at}.maxAsyncRetryAttempts`, `is ${JSON.stringify(cfg.maxAsyncRetryAttempts)}; expected 0–8.`);
  // PutAsyncInvokeConfig accepts [1, 604800] (function-compute.md §2).
  if (!isInt(cfg.maxAsyncEventAgeInSeconds, 1, 604800)) p(`${at}.maxAsyncEventAgeInSeconds`, `is ${JSON.stringify(cfg.maxAsyncEventAgeInSeconds)}; expected 1–604800 seconds.`);
  const dest = cfg.destinationConfig;
  if (dest === undefined) return;
  if (!isObj(dest)) {
    p(`${at}.destinationConfig`, 'must be an object ({} for none).');
    return;
  }
  for (const kind of ['onFailure', 'onSuccess'] as const) {
    const d = dest[kind];
    if (d === undefined) continue;
    if (!isObj(d) || typeof d.destination !== 'string' || !DESTINATION_PATTERN.test(d.destination)) {
      p(`${at}.destinationConfig.${kind}.destination`, `is ${JSON.stringify(isObj(d) ? d.destination : d)}; expected acs:fc:<region>:<uid>:functions/<name> or an acs:mns queue/topic ARN.`);
    }
  }
}

/** Returns the bucket named by the OSS trigger's sourceArn (when well formed). */
function checkTriggers(
  triggers: unknown,
  at: string,
  ctx: { region: unknown; role: unknown; allowSelf: boolean },
  p: (path: string, msg: string) => void,
): string | undefined {
  const list = Array.isArray(triggers) ? triggers : [];
  const oss = list.map((t, i) => [t, i] as const).filter(([t]) => isObj(t) && t.triggerType === 'oss');
  if (oss.length !== 1) {
    p(at, `must hold exactly one trigger with triggerType oss (found ${oss.length}).`);
    return undefined;
  }
  const [t, i] = oss[0] as [Obj, number];
  const tp = `${at}[${i}]`;
  let bucket: string | undefined;
  if (typeof t.triggerName !== 'string' || t.triggerName === '') p(`${tp}.triggerName`, 'is required.');
  if (typeof t.sourceArn !== 'string' || !SOURCE_ARN_PATTERN.test(t.sourceArn)) {
    p(`${tp}.sourceArn`, `is ${JSON.stringify(t.sourceArn)}; expected acs:oss:<region>:<account id>:<bucket> (set REGION, ALIBABA_CLOUD_ACCOUNT_ID and OSS_BUCKET).`);
  } else {
    const [, , arnRegion, arnAccount, arnBucket] = t.sourceArn.split(':');
    bucket = arnBucket;
    if (arnRegion !== ctx.region) p(`${tp}.sourceArn`, `names region ${arnRegion} but the function is in ${String(ctx.region)}; an OSS trigger must be in the bucket's region.`);
    const roleAccount = typeof ctx.role === 'string' ? ctx.role.split(':')[3] : undefined;
    if (roleAccount && arnAccount !== roleAccount) p(`${tp}.sourceArn`, `names account ${arnAccount} but the function role is in account ${roleAccount}.`);
  }
  if (typeof t.invocationRole !== 'string' || !ROLE_ARN_PATTERN.test(t.invocationRole)) {
    p(`${tp}.invocationRole`, `is ${JSON.stringify(t.invocationRole)}; expected acs:ram::<account id>:role/<name> (OSS assumes it to invoke the function).`);
  }
  const cfg = isObj(t.triggerConfig) ? t.triggerConfig : undefined;
  if (!cfg) {
    p(`${tp}.triggerConfig`, 'is required (events and filter.key.{prefix,suffix}).');
    return bucket;
  }
  const events = cfg.events;
  if (!Array.isArray(events) || events.length === 0) {
    p(`${tp}.triggerConfig.events`, `is missing or empty; subscribe to ${DEFAULT_TRIGGER_EVENTS.join(', ')}.`);
  } else {
    const allowed = new Set<string>([...DEFAULT_TRIGGER_EVENTS, ...(ctx.allowSelf ? SELF_TRIGGERING_EVENTS : [])]);
    events.forEach((e, j) => {
      if (typeof e !== 'string') {
        p(`${tp}.triggerConfig.events[${j}]`, 'must be a string.');
      } else if ((SELF_TRIGGERING_EVENTS as readonly string[]).includes(e) && !ctx.allowSelf) {
        p(`${tp}.triggerConfig.events[${j}]`, `${e} also fires on the function's own in-place copy (one extra invocation per object); it must be an explicit opt-in, not a default.`);
      } else if (!allowed.has(e)) {
        p(`${tp}.triggerConfig.events[${j}]`, `${e} is not an event that creates a complete object; use ${DEFAULT_TRIGGER_EVENTS.join(', ')}.`);
      }
    });
    const dupes = events.filter((e, j) => events.indexOf(e) !== j);
    if (dupes.length) p(`${tp}.triggerConfig.events`, `lists ${dupes.join(', ')} more than once.`);
  }
  const key = isObj(cfg.filter) && isObj(cfg.filter.key) ? cfg.filter.key : undefined;
  // The fc3 schema requires both; '' means "no filter".
  for (const f of ['prefix', 'suffix'] as const) {
    if (!key || typeof key[f] !== 'string') p(`${tp}.triggerConfig.filter.key.${f}`, "is required by fc3 (use '' for none).");
  }
  return bucket;
}
