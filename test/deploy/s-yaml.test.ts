/**
 * The real s.yaml, rendered offline by the installed Serverless Devs CLI (`s preview -o json`) and
 * checked by src/deploy/validate-s-yaml.ts. Broken copies of the same file (written to a temp dir)
 * must fail the same checks, so the validator is shown to catch what it claims to.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS, loadPolicy } from '../../src/config';
import { TemplateRenderError } from '../../src/deploy/errors';
import { installedSBin, renderTemplate } from '../../src/deploy/render-template';
import { DEFAULT_TRIGGER_EVENTS, SOURCE_ARN_PATTERN, validateRenderedTemplate } from '../../src/deploy/validate-s-yaml';
import { functionEnvVars } from './function-env-vars';

const S_YAML = join(__dirname, '..', '..', 's.yaml');
const ACCOUNT = '1234567890123456';
const BASE_ENV = { OSS_BUCKET: 'photos-prod', ALIBABA_CLOUD_ACCOUNT_ID: ACCOUNT };
const REQUIRED = functionEnvVars();

type Props = Record<string, any>;
/** The single fc3 resource's props of a rendered template. */
function propsOf(rendered: unknown): Props {
  const resources = (rendered as { resources: Record<string, { component: string; props: Props }> }).resources;
  const fc = Object.values(resources).filter((r) => r.component === 'fc3');
  expect(fc).toHaveLength(1);
  return fc[0]!.props;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's-yaml-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a copy of s.yaml with `edit` applied (which must change it) and returns its path. */
function brokenCopy(name: string, edit: (text: string) => string): string {
  const original = readFileSync(S_YAML, 'utf8');
  const text = edit(original);
  expect(text).not.toEqual(original);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

test('the function reads the variables the contract names (the env list is not empty by accident)', () => {
  for (const name of ['SSE_ALGORITHM', 'SSE_KMS_KEY_ID', 'SSE_KMS_DATA_ENCRYPTION', 'SSE_RULES', 'SSE_ON_MISMATCH', 'DRY_RUN', 'VERSIONED_PLAINTEXT', 'PRESERVE_ACL', 'ALLOWED_BUCKETS', 'OSS_ENDPOINT', 'LOG_LEVEL']) {
    expect(REQUIRED).toContain(name);
  }
});

describe('s.yaml rendered with defaults', () => {
  let rendered: unknown;
  let props: Props;
  beforeAll(async () => {
    rendered = await renderTemplate(S_YAML, { env: BASE_ENV });
    props = propsOf(rendered);
  });

  test('passes every check', () => {
    expect(validateRenderedTemplate(rendered, { requiredEnvVars: REQUIRED })).toEqual([]);
  });

  test('runtime, entry points, bundle directory, sizing, one request per instance', () => {
    expect(props).toMatchObject({
      runtime: 'nodejs20',
      handler: 'index.handler',
      code: './dist/fc',
      instanceConcurrency: 1,
      internetAccess: false,
      memorySize: 512,
      timeout: 900,
      instanceLifecycleConfig: { initializer: { handler: 'index.initialize' } },
      region: 'cn-hangzhou',
      role: `acs:ram::${ACCOUNT}:role/oss-auto-encrypt-fc`,
    });
    const resource = Object.values((rendered as { resources: Record<string, any> }).resources)[0];
    expect(resource.actions['pre-deploy'][0].run).toBe('npm ci && npm run build');
  });

  test('the OSS trigger: default events (no CopyObject), well-formed ARNs, empty filters', () => {
    const [trigger] = props.triggers;
    expect(trigger.triggerType).toBe('oss');
    expect(trigger.triggerConfig.events).toEqual([...DEFAULT_TRIGGER_EVENTS]);
    expect(trigger.triggerConfig.events).not.toContain('oss:ObjectCreated:CopyObject');
    expect(trigger.triggerConfig.events).not.toContain('oss:ObjectCreated:*');
    expect(trigger.triggerConfig.filter).toEqual({ key: { prefix: '', suffix: '' } });
    expect(trigger.sourceArn).toBe(`acs:oss:cn-hangzhou:${ACCOUNT}:photos-prod`);
    expect(trigger.sourceArn).toMatch(SOURCE_ARN_PATTERN);
    expect(trigger.invocationRole).toBe(`acs:ram::${ACCOUNT}:role/aliyunosseventnotificationrole`);
  });

  test('explicit logConfig with logBeginRule None; async retries and event age set; no destination', () => {
    expect(props.logConfig).toMatchObject({ logBeginRule: 'None', project: `oss-auto-encrypt-${ACCOUNT}`, logstore: 'oss-auto-encrypt' });
    expect(props.asyncInvokeConfig).toEqual({ maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 86400, destinationConfig: {} });
  });

  test('every variable the function reads is passed, as a string', () => {
    const env = props.environmentVariables as Record<string, unknown>;
    expect(Object.keys(env).sort()).toEqual(expect.arrayContaining(REQUIRED));
    for (const v of Object.values(env)) expect(typeof v).toBe('string');
  });

  test("the passed defaults are the function's own defaults, limited to the trigger's bucket", () => {
    const env = props.environmentVariables as Record<string, string>;
    const deployed = loadPolicy(env);
    const { allowedBuckets, ...rest } = deployed;
    const { allowedBuckets: none, ...defaults } = loadPolicy({});
    expect(none).toBeUndefined();
    expect(allowedBuckets).toEqual(['photos-prod']);
    expect(rest).toEqual(defaults);
    expect(deployed.multipartThresholdBytes).toBe(DEFAULTS.MULTIPART_THRESHOLD_BYTES);
  });
});

describe('s.yaml rendered with overrides', () => {
  test('policy, region, prefix, sizing and destination flow from the environment into the function', async () => {
    const rendered = await renderTemplate(S_YAML, {
      env: {
        ...BASE_ENV,
        REGION: 'cn-shanghai',
        OSS_PREFIX: 'uploads/',
        OSS_SUFFIX: '.pdf',
        SSE_ALGORITHM: 'KMS',
        SSE_KMS_KEY_ID: 'key-shanghai-1',
        MEMORY_SIZE: '1024',
        TIMEOUT: '1800',
        MAX_ASYNC_RETRY_ATTEMPTS: '5',
        ON_FAILURE_DESTINATION: `acs:fc:cn-shanghai:${ACCOUNT}:functions/oss-auto-encrypt-dlq`,
      },
    });
    expect(validateRenderedTemplate(rendered, { requiredEnvVars: REQUIRED })).toEqual([]);
    const props = propsOf(rendered);
    expect(props.memorySize).toBe(1024);
    expect(props.timeout).toBe(1800);
    expect(props.triggers[0].sourceArn).toBe(`acs:oss:cn-shanghai:${ACCOUNT}:photos-prod`);
    expect(props.triggers[0].triggerConfig.filter.key).toEqual({ prefix: 'uploads/', suffix: '.pdf' });
    expect(props.asyncInvokeConfig).toEqual({
      maxAsyncRetryAttempts: 5,
      maxAsyncEventAgeInSeconds: 86400,
      destinationConfig: { onFailure: { destination: `acs:fc:cn-shanghai:${ACCOUNT}:functions/oss-auto-encrypt-dlq` } },
    });
    const policy = loadPolicy(props.environmentVariables);
    expect(policy.defaultTarget).toEqual({ algorithm: 'KMS', kmsKeyId: 'key-shanghai-1' });
  });

  test('CopyObject is opt-in: rendered only when asked for, and flagged unless the validator is told so', async () => {
    const rendered = await renderTemplate(S_YAML, {
      env: { ...BASE_ENV, TRIGGER_EVENTS: 'oss:ObjectCreated:PutObject, oss:ObjectCreated:CopyObject' },
    });
    expect(propsOf(rendered).triggers[0].triggerConfig.events).toEqual(['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:CopyObject']);
    const problems = validateRenderedTemplate(rendered, { requiredEnvVars: REQUIRED });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/triggerConfig\.events\[1\]: oss:ObjectCreated:CopyObject also fires on the function's own in-place copy/);
    expect(validateRenderedTemplate(rendered, { requiredEnvVars: REQUIRED, allowSelfTriggeringEvents: true })).toEqual([]);
  });

  test('without OSS_BUCKET the template does not render, and the error names the variable', async () => {
    const err = await renderTemplate(S_YAML, { env: { ALIBABA_CLOUD_ACCOUNT_ID: ACCOUNT } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateRenderError);
    expect((err as TemplateRenderError).code).toBe('S_PREVIEW_FAILED');
    expect((err as Error).message).toMatch(/env\('OSS_BUCKET'\) not found/);
  });

  test('the account id falls back to the `s config add` access, as docs/deploy.md describes', async () => {
    const home = join(dir, 'home-with-access');
    mkdirSync(home);
    await new Promise<void>((done, fail) =>
      execFile(
        process.execPath,
        [installedSBin(), 'config', 'add', '--AccessKeyID', 'LTAI-test-only', '--AccessKeySecret', 'not-a-secret', '--AccountID', '5555555555555555', '-a', 'default'],
        { env: { PATH: process.env.PATH ?? '', HOME: home } },
        (err, stdout) => (err ? fail(new Error(`s config add failed: ${stdout}`)) : done()),
      ),
    );
    const rendered = await renderTemplate(S_YAML, { env: { OSS_BUCKET: 'photos-prod' }, home });
    expect(validateRenderedTemplate(rendered, { requiredEnvVars: REQUIRED })).toEqual([]);
    expect(propsOf(rendered).triggers[0].sourceArn).toBe('acs:oss:cn-hangzhou:5555555555555555:photos-prod');
  });

  test('without an account id (no env, no `s config` access) the ARNs stay unrendered and are rejected', async () => {
    const rendered = await renderTemplate(S_YAML, { env: { OSS_BUCKET: 'photos-prod' } });
    const problems = validateRenderedTemplate(rendered, { requiredEnvVars: REQUIRED });
    expect(problems.some((p) => /triggers\[0\]\.sourceArn: .*is not rendered/.test(p))).toBe(true);
    expect(problems.some((p) => /triggers\[0\]\.sourceArn: .*expected acs:oss:<region>:<account id>:<bucket>/.test(p))).toBe(true);
    expect(problems.some((p) => /props\.role: /.test(p))).toBe(true);
  });
});

describe('broken copies of s.yaml fail validation', () => {
  const check = async (file: string, env: Record<string, string> = BASE_ENV) =>
    validateRenderedTemplate(await renderTemplate(file, { env }), { requiredEnvVars: REQUIRED });

  test('missing trigger events', async () => {
    const file = brokenCopy('no-events', (t) => t.replace(/^ *events: \$\{env\('TRIGGER_EVENTS'.*\n/m, ''));
    const problems = await check(file);
    expect(problems).toEqual([expect.stringMatching(/triggers\[0\]\.triggerConfig\.events: is missing or empty/)]);
  });

  test('a bad sourceArn (bucket name with upper case and underscore)', async () => {
    const file = brokenCopy('bad-arn', (t) => t.replace('sourceArn: acs:oss:${vars.region}:${vars.accountId}:${vars.bucket}', 'sourceArn: acs:oss:${vars.region}:${vars.accountId}:Photos_Prod'));
    const problems = await check(file);
    expect(problems).toEqual([expect.stringMatching(/triggers\[0\]\.sourceArn: is "acs:oss:cn-hangzhou:1234567890123456:Photos_Prod"; expected/)]);
  });

  test('a sourceArn without the account id', async () => {
    const file = brokenCopy('arn-no-account', (t) => t.replace('sourceArn: acs:oss:${vars.region}:${vars.accountId}:', 'sourceArn: acs:oss:${vars.region}::'));
    expect(await check(file)).toEqual([expect.stringMatching(/sourceArn: is "acs:oss:cn-hangzhou::photos-prod"/)]);
  });

  test('CopyObject among the default events', async () => {
    const file = brokenCopy('copy-default', (t) => t.replace("oss:ObjectCreated:PostObject,oss:ObjectCreated:CompleteMultipartUpload'", "oss:ObjectCreated:PostObject,oss:ObjectCreated:CompleteMultipartUpload,oss:ObjectCreated:CopyObject'"));
    expect(await check(file)).toEqual([expect.stringMatching(/events\[3\]: oss:ObjectCreated:CopyObject also fires on the function's own in-place copy/)]);
  });

  test('logBeginRule left at DefaultRegex', async () => {
    const file = brokenCopy('log-regex', (t) => t.replace('logBeginRule: None', 'logBeginRule: DefaultRegex'));
    expect(await check(file)).toEqual([expect.stringMatching(/logConfig\.logBeginRule: is "DefaultRegex"; must be None/)]);
  });

  test('a policy variable not passed to the function', async () => {
    const file = brokenCopy('no-rules', (t) => t.replace(/^ *SSE_RULES: .*\n/m, ''));
    expect(await check(file)).toEqual([expect.stringMatching(/environmentVariables: does not pass SSE_RULES/)]);
  });

  test('a numeric environment value (fc3 wants strings) and concurrency above 1', async () => {
    const file = brokenCopy('types', (t) => t.replace("CONCURRENCY: ${env('CONCURRENCY', '8')}", 'CONCURRENCY: 8').replace('instanceConcurrency: 1', 'instanceConcurrency: 10'));
    const problems = await check(file);
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/environmentVariables\.CONCURRENCY: is 8 \(number\)/), expect.stringMatching(/instanceConcurrency: must be 1/)]));
  });
});
