/**
 * The read-only FC 3.0 control-plane calls doctor makes, served by the local FC endpoint (test/helpers/local-fc.ts)
 * from records the test supplies, in the FC 3.0 API's shapes: GET /2023-03-30/functions/<fn> (GetFunction),
 * …/triggers (ListTriggers; triggerConfig is a JSON string), …/async-invoke-config (GetAsyncInvokeConfig, 404
 * AsyncConfigNotExists when none). Signatures are checked by local-fc.ts before this runs.
 */
export interface LocalFcFunctionRecord {
  /** The GetFunction body (functionName, runtime, handler, environmentVariables, logConfig, …). */
  function: Record<string, unknown>;
  /** ListTriggers items; give triggerConfig as an object, it is sent as JSON text like FC does. */
  triggers: Array<Record<string, unknown>>;
  asyncInvokeConfig?: Record<string, unknown>;
}

export type AdminAnswer = { status: number; body: unknown } | { status: number; error: string; message: string };

const PATH = /^\/2023-03-30\/functions\/([^/]+)(\/triggers|\/async-invoke-config)?$/;

export function serveAdmin(pathname: string, records: Record<string, LocalFcFunctionRecord>): AdminAnswer {
  const m = PATH.exec(pathname);
  if (!m) return { status: 404, error: 'PathNotFound', message: `GET ${pathname} is not a GetFunction/ListTriggers/GetAsyncInvokeConfig path of API 2023-03-30` };
  const name = decodeURIComponent(m[1]!);
  const rec = records[name];
  if (!rec) return { status: 404, error: 'FunctionNotFound', message: `function '${name}' does not exist` };
  if (m[2] === '/triggers') {
    return { status: 200, body: { triggers: rec.triggers.map((t) => ({ ...t, triggerConfig: typeof t.triggerConfig === 'string' ? t.triggerConfig : JSON.stringify(t.triggerConfig ?? {}) })) } };
  }
  if (m[2] === '/async-invoke-config') {
    return rec.asyncInvokeConfig ? { status: 200, body: rec.asyncInvokeConfig } : { status: 404, error: 'AsyncConfigNotExists', message: `function '${name}' has no async invoke config` };
  }
  return { status: 200, body: rec.function };
}
