/**
 * The FC handler, built around a policy read once per instance. Thin: parse the event, build an
 * OSS gateway from this invocation's STS credentials (they rotate), process, log a summary, and
 * throw InvocationFailedError when any object failed so FC's async retry / onFailure see it.
 */
import { loadPolicy, type Policy } from '../config';
import { CredentialsError, InvocationFailedError } from '../errors';
import { assertEventScope, parseEvent } from '../event/parse';
import { createLogger, type Logger } from '../log';
import { createOssGateway, type OssCredentials } from '../oss/gateway';
import { processObjects, type InvocationSummary } from '../core/process';

export interface FcContext {
  requestId: string;
  region: string;
  accountId?: string;
  credentials?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  /** FC 3.0: `timeout` is the function's timeout in seconds (evidence §29). */
  function?: { name: string; timeout?: number };
}

export interface CreateHandlerOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

export interface FcHandler {
  initialize(context: FcContext): Promise<void>;
  handler(event: Buffer | string | object, context: FcContext): Promise<InvocationSummary>;
  readonly policy: Policy;
}

/** Credentials from the context; locally (fc3 `s local`, our CLIs) from the ALIBABA_CLOUD_* variables. */
function credentialsFor(context: FcContext, env: Record<string, string | undefined>): OssCredentials {
  const c = context.credentials;
  if (c?.accessKeyId && c.accessKeySecret) return c.securityToken ? { ...c } : { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret };
  const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (id && secret) {
    const token = env.ALIBABA_CLOUD_SECURITY_TOKEN;
    return token ? { accessKeyId: id, accessKeySecret: secret, securityToken: token } : { accessKeyId: id, accessKeySecret: secret };
  }
  throw new CredentialsError();
}

/** Validates the environment now (a bad variable fails the instance at start) and returns the entry points. */
export function createHandler(opts: CreateHandlerOptions = {}): FcHandler {
  const env = opts.env ?? process.env;
  const policy = loadPolicy(env);
  const baseLogger = opts.logger ?? createLogger({ level: policy.logLevel });

  return {
    policy,

    async initialize(context) {
      baseLogger.info(
        {
          requestId: context.requestId,
          algorithm: policy.algorithm,
          kmsKeyId: policy.kmsKeyId,
          rules: policy.rules.length,
          onMismatch: policy.onMismatch,
          dryRun: policy.dryRun,
          preserveAcl: policy.preserveAcl,
          endpoint: policy.endpoint,
        },
        'initialized',
      );
    },

    async handler(event, context) {
      const logger = baseLogger.child({ requestId: context.requestId });
      const started = performance.now();
      // FC ends the invocation at its timeout; multipart rewrites stop starting parts that could not finish by then.
      const timeout = Number(context.function?.timeout);
      const deadline = Number.isFinite(timeout) && timeout > 0 ? Date.now() + timeout * 1000 : undefined;
      let refs;
      try {
        refs = parseEvent(event);
        assertEventScope(refs, { region: context.region, ...(context.accountId ? { accountId: context.accountId } : {}) });
      } catch (err) {
        const code = (err as { code?: string }).code;
        logger.error({ error: { code, message: (err as Error).message } }, code === 'EVENT_INVALID' ? 'invocation failed: malformed event' : 'invocation failed: event refused');
        throw err;
      }
      let credentials: OssCredentials;
      try {
        credentials = credentialsFor(context, env);
      } catch (err) {
        // Thrown to FC like a malformed event, but first logged as one line with its code, as every other failure is.
        logger.error({ error: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'invocation failed: no credentials');
        throw err;
      }
      const oss = createOssGateway({
        region: context.region,
        ...(policy.endpoint ? { endpoint: policy.endpoint } : {}),
        credentials,
        timeoutMs: policy.timeoutMs,
        retry: policy.retry,
        onRetry: ({ operation, error, attempt, delayMs }) =>
          logger.warn({ operation, code: error.ossCode, status: error.status, ossRequestId: error.requestId, attempt, delayMs }, `retrying ${operation}`),
      });
      const summary = await processObjects(refs, { oss, policy, logger, requestId: context.requestId, ...(deadline !== undefined ? { deadline } : {}) });
      // requestId is already on the child logger's bindings; logging it again would duplicate the JSON key.
      const { results, requestId: _requestId, ...counts } = summary;
      logger.info({ ...counts, durationMs: Math.round(performance.now() - started) }, 'invocation summary');
      if (summary.failed > 0) throw new InvocationFailedError(summary);
      return summary;
    },
  };
}
