/** Unit tests of the pure validator: a good rendered template, then clones with one field broken. */
import { validateRenderedTemplate, type ValidateOptions } from '../../src/deploy/validate-s-yaml';

const REQUIRED = ['SSE_ALGORITHM', 'SSE_RULES', 'ALLOWED_BUCKETS'];
const OPTS: ValidateOptions = { requiredEnvVars: REQUIRED };

function good(): any {
  return {
    edition: '3.0.0',
    name: 'oss-auto-encrypt',
    resources: {
      fn: {
        component: 'fc3',
        actions: { 'pre-deploy': [{ run: 'npm ci && npm run build', path: './' }] },
        props: {
          region: 'cn-hangzhou',
          functionName: 'oss-auto-encrypt',
          runtime: 'nodejs20',
          code: './dist/fc',
          handler: 'index.handler',
          instanceLifecycleConfig: { initializer: { handler: 'index.initialize', timeout: 30 } },
          memorySize: 512,
          timeout: 900,
          instanceConcurrency: 1,
          internetAccess: false,
          role: 'acs:ram::1234567890123456:role/oss-auto-encrypt-fc',
          logConfig: { project: 'my-project', logstore: 'my-logstore', logBeginRule: 'None' },
          environmentVariables: { SSE_ALGORITHM: 'AES256', SSE_RULES: '', ALLOWED_BUCKETS: 'photos' },
          asyncInvokeConfig: { maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 86400, destinationConfig: {} },
          triggers: [
            {
              triggerName: 'oss-object-created',
              triggerType: 'oss',
              sourceArn: 'acs:oss:cn-hangzhou:1234567890123456:photos',
              invocationRole: 'acs:ram::1234567890123456:role/aliyunosseventnotificationrole',
              qualifier: 'LATEST',
              triggerConfig: {
                events: ['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:PostObject', 'oss:ObjectCreated:CompleteMultipartUpload'],
                filter: { key: { prefix: '', suffix: '' } },
              },
            },
          ],
        },
      },
    },
  };
}

/** Applies `mutate` to a fresh good template and returns the problems. */
function problemsAfter(mutate: (t: any) => void, opts: ValidateOptions = OPTS): string[] {
  const t = good();
  mutate(t);
  return validateRenderedTemplate(t, opts);
}
const props = (t: any) => t.resources.fn.props;
const trigger = (t: any) => props(t).triggers[0];

test('the good template has no problems', () => {
  expect(validateRenderedTemplate(good(), OPTS)).toEqual([]);
});

test('not an object / wrong edition / no fc3 resource', () => {
  expect(validateRenderedTemplate('edition: 3.0.0', OPTS)).toEqual([expect.stringMatching(/not an object/)]);
  expect(problemsAfter((t) => (t.edition = '1.0.0'))).toEqual([expect.stringMatching(/^edition: is "1.0.0"/)]);
  expect(problemsAfter((t) => (t.resources.fn.component = 'fc'))).toEqual([expect.stringMatching(/exactly one resource with component fc3 \(found 0\)/)]);
});

test.each([
  ['sourceArn with a region missing', (t: any) => (trigger(t).sourceArn = 'acs:oss::1234567890123456:photos'), /sourceArn: is "acs:oss::1234567890123456:photos"/],
  ['sourceArn with a non-numeric account', (t: any) => (trigger(t).sourceArn = 'acs:oss:cn-hangzhou:me:photos'), /sourceArn: is "acs:oss:cn-hangzhou:me:photos"/],
  ['sourceArn with a 2-letter bucket', (t: any) => (trigger(t).sourceArn = 'acs:oss:cn-hangzhou:1234567890123456:ab'), /sourceArn: is/],
  ['sourceArn bucket ending in -', (t: any) => (trigger(t).sourceArn = 'acs:oss:cn-hangzhou:1234567890123456:photos-'), /sourceArn: is/],
  ['sourceArn in another region', (t: any) => (trigger(t).sourceArn = 'acs:oss:cn-beijing:1234567890123456:photos'), /names region cn-beijing but the function is in cn-hangzhou/],
  ['sourceArn in another account', (t: any) => (trigger(t).sourceArn = 'acs:oss:cn-hangzhou:999:photos'), /names account 999 but the function role is in account 1234567890123456/],
  ['bad invocationRole', (t: any) => (trigger(t).invocationRole = 'aliyunosseventnotificationrole'), /invocationRole: is "aliyunosseventnotificationrole"/],
  ['bad function role', (t: any) => (props(t).role = 'acs:ram:1234567890123456:role/x'), /props\.role: is/],
  ['events missing', (t: any) => delete trigger(t).triggerConfig.events, /events: is missing or empty/],
  ['events empty', (t: any) => (trigger(t).triggerConfig.events = []), /events: is missing or empty/],
  ['ObjectCreated:* subscribed', (t: any) => trigger(t).triggerConfig.events.push('oss:ObjectCreated:*'), /oss:ObjectCreated:\* also fires on the function's own in-place copy/],
  ['a delete event', (t: any) => trigger(t).triggerConfig.events.push('oss:ObjectRemoved:DeleteObject'), /oss:ObjectRemoved:DeleteObject is not an event that creates a complete object/],
  ['AppendObject (appendable objects cannot be copied)', (t: any) => trigger(t).triggerConfig.events.push('oss:ObjectCreated:AppendObject'), /AppendObject is not an event/],
  ['duplicate events', (t: any) => trigger(t).triggerConfig.events.push('oss:ObjectCreated:PutObject'), /lists oss:ObjectCreated:PutObject more than once/],
  ['filter suffix missing', (t: any) => delete trigger(t).triggerConfig.filter.key.suffix, /filter\.key\.suffix: is required by fc3/],
  ['no OSS trigger', (t: any) => (props(t).triggers = []), /exactly one trigger with triggerType oss \(found 0\)/],
  ['logConfig auto', (t: any) => (props(t).logConfig = 'auto'), /logConfig: must be an explicit/],
  ['logBeginRule DefaultRegex', (t: any) => (props(t).logConfig.logBeginRule = 'DefaultRegex'), /logBeginRule: is "DefaultRegex"/],
  ['env var missing', (t: any) => delete props(t).environmentVariables.SSE_RULES, /does not pass SSE_RULES/],
  ['env value not a string', (t: any) => (props(t).environmentVariables.DRY_RUN = false), /DRY_RUN: is false \(boolean\)/],
  ['reserved FC_ variable', (t: any) => (props(t).environmentVariables.FC_X = '1'), /FC_X: uses the reserved FC_ prefix/],
  ['ALLOWED_BUCKETS without the trigger bucket', (t: any) => (props(t).environmentVariables.ALLOWED_BUCKETS = 'logs,backups'), /every event would be refused/],
  ['instanceConcurrency 2', (t: any) => (props(t).instanceConcurrency = 2), /instanceConcurrency: must be 1/],
  ['memory not a multiple of 64', (t: any) => (props(t).memorySize = 500), /memorySize: is 500/],
  ['timeout too short for multipart', (t: any) => (props(t).timeout = 3), /timeout: is 3 s; the multipart path needs minutes/],
  ['runtime nodejs16', (t: any) => (props(t).runtime = 'nodejs16'), /runtime: is "nodejs16"; expected nodejs20/],
  ['handler renamed', (t: any) => (props(t).handler = 'index.main'), /handler: is "index.main"/],
  ['initializer missing', (t: any) => delete props(t).instanceLifecycleConfig, /initializer\.handler: must be index\.initialize/],
  ['retries out of range', (t: any) => (props(t).asyncInvokeConfig.maxAsyncRetryAttempts = 9), /maxAsyncRetryAttempts: is 9; expected 0–8/],
  ['event age missing', (t: any) => delete props(t).asyncInvokeConfig.maxAsyncEventAgeInSeconds, /maxAsyncEventAgeInSeconds: is undefined/],
  ['bad onFailure destination', (t: any) => (props(t).asyncInvokeConfig.destinationConfig = { onFailure: { destination: 'my-dlq' } }), /onFailure\.destination: is "my-dlq"/],
  ['no build before deploy', (t: any) => (t.resources.fn.actions = {}), /pre-deploy: must run `npm ci && npm run build`/],
  ['an unrendered variable', (t: any) => (props(t).logConfig.project = "oss-auto-encrypt-${config('AccountID')}"), /logConfig\.project: .*is not rendered/],
])('%s is reported', (_name, mutate, expected) => {
  const problems = problemsAfter(mutate);
  expect(problems.length).toBeGreaterThan(0);
  expect(problems.some((p) => expected.test(p))).toBe(true);
});

test('CopyObject passes only with the explicit opt-in', () => {
  const mutate = (t: any) => trigger(t).triggerConfig.events.push('oss:ObjectCreated:CopyObject');
  expect(problemsAfter(mutate)).toEqual([expect.stringMatching(/events\[3\]: oss:ObjectCreated:CopyObject also fires/)]);
  expect(problemsAfter(mutate, { ...OPTS, allowSelfTriggeringEvents: true })).toEqual([]);
});

test('a valid MNS or FC onFailure destination passes', () => {
  for (const destination of ['acs:mns:::/queues/dlq/messages', 'acs:fc:cn-hangzhou:1234567890123456:functions/dlq']) {
    expect(problemsAfter((t) => (props(t).asyncInvokeConfig.destinationConfig = { onFailure: { destination } }))).toEqual([]);
  }
});

test('every problem is reported at once, each with its path', () => {
  const problems = problemsAfter((t) => {
    delete trigger(t).triggerConfig.events;
    trigger(t).sourceArn = 'bad';
    props(t).logConfig.logBeginRule = 'DefaultRegex';
  });
  expect(problems).toHaveLength(3);
  for (const p of problems) expect(p).toMatch(/^resources\.fn\.props\./);
});
