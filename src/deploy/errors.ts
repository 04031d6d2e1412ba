/** Errors of the deployment tooling (policy generator, s.yaml rendering); each says what to do. */
import { AutoEncryptError } from '../errors';

/** A deployment input (bucket, account id, prefix, key id …) is malformed; `problems` lists every one. */
export class DeployInputError extends AutoEncryptError {
  readonly code = 'DEPLOY_INPUT_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid deployment input:\n- ${problems.join('\n- ')}`);
  }
}

/** `s preview` could not render the template (a required env var unset, a YAML or expression error). */
export class TemplateRenderError extends AutoEncryptError {
  readonly code = 'S_PREVIEW_FAILED';
  constructor(readonly template: string, readonly exitCode: number | null, readonly detail: string) {
    super(
      `\`s preview -t ${template}\` failed (exit ${exitCode ?? 'signal'}): ${detail}. ` +
        "Set the variables the template needs (OSS_BUCKET, ALIBABA_CLOUD_ACCOUNT_ID, …; see docs/deploy.md) or fix the ${…} expression it names.",
    );
  }
}

/** The rendered s.yaml breaks a deployment rule; `problems` lists every one. */
export class TemplateInvalidError extends AutoEncryptError {
  readonly code = 'S_YAML_INVALID';
  constructor(readonly problems: string[]) {
    super(`s.yaml is not safe to deploy:\n- ${problems.join('\n- ')}`);
  }
}
