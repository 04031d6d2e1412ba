/**
 * The slice of @alicloud/fc2 (2.6.6, plain JS, no bundled types) that the invoker uses.
 * Shapes read from node_modules/@alicloud/fc2/lib/client.js.
 */
declare module '@alicloud/fc2' {
  namespace FcClient {
  interface FcClientConfig {
    accessKeyID: string;
    accessKeySecret: string;
    /** Only used by the SDK when accessKeyID starts with "STS" (client.js constructor). */
    securityToken?: string;
    region: string;
    secure?: boolean;
    internal?: boolean;
    endpoint?: string;
    timeout?: number;
    /** Merged into every request; `x-fc-*` ones are signed. */
    headers?: Record<string, string>;
  }
  interface FcResponse {
    headers: Record<string, string | string[] | undefined>;
    /** Buffer with `rawBuf`, string otherwise; parsed JSON when the response is application/json. */
    data: unknown;
  }
  }
  class FcClient {
    constructor(accountId: string, config: FcClient.FcClientConfig);
    /** API version segment of every path: '2016-08-15' by default; fc3 sets '2023-03-30'. */
    version: string;
    endpoint: string;
    post(path: string, body: Buffer | string | null, headers?: Record<string, string>, queries?: Record<string, string> | null,
      opts?: { rawBuf?: boolean }): Promise<FcClient.FcResponse>;
    invokeFunction(service: string, fn: string, event: Buffer | string, headers?: Record<string, string>, qualifier?: string,
      opts?: { rawBuf?: boolean }): Promise<FcClient.FcResponse>;
    static getSignature(accessKeyID: string, accessKeySecret: string, method: string, path: string,
      headers: Record<string, unknown>, queries: Record<string, unknown> | null): string;
  }
  export = FcClient;
}
