/**
 * The one protocol error type of the local OSS. Operations throw it; the HTTP layer renders it as
 * OSS does (XML body, or for HEAD an empty body plus a base64 `x-oss-err` header).
 * Codes, statuses and messages follow ../shared/reference/oss-api.md §1.5.
 */
export const ERROR_TABLE = {
  AccessDenied: { status: 403, message: 'You have no right to access this object because of bucket acl.' },
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available.' },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty.' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed size.' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload is smaller than the minimum allowed size.' },
  FileAlreadyExists: { status: 409, message: 'The object you specified already exists and can not be overwritten.' },
  FileImmutable: { status: 409, message: 'The object you specified is immutable.' },
  NoSuchWORMConfiguration: { status: 404, message: 'The WORM Configuration does not exist.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  InvalidAccessKeyId: { status: 403, message: 'The OSS Access Key Id you provided does not exist in our records.' },
  InvalidArgument: { status: 400, message: 'Invalid argument.' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified is not valid.' },
  InvalidEncryptionAlgorithmError: { status: 400, message: 'The encryption request you specified is not valid.' },
  InvalidObjectName: { status: 400, message: 'The specified object is not valid.' },
  InvalidObjectState: { status: 403, message: "The operation is not valid for the object's state" },
  InvalidPart: { status: 400, message: 'One or more of the specified parts could not be found or the specified entity tag might not have matched the part\'s entity tag.' },
  InvalidPartOrder: { status: 400, message: 'The list of parts was not in ascending order.' },
  InvalidRange: { status: 416, message: 'The requested range cannot be satisfied.' },
  InvalidTargetType: { status: 400, message: 'The symlink target object type is not supported.' },
  KmsServiceNotEnabled: { status: 403, message: 'The KMS service is not enabled for this account.' },
  // KMS key errors as OSS's troubleshooting pages list them ([DOC21] "HTTP 404/409 status code", oss-evidence.md §17).
  KeyNotFound: { status: 404, message: 'The specified parameter KMS keyId is not found.' },
  AliasNotFound: { status: 404, message: 'The specified parameter KMS alias is not found.' },
  KeyDisabled: { status: 409, message: 'The request was rejected because the key state is Disabled.' },
  KeyPendingDeletion: { status: 409, message: 'The request was rejected because the key state is PendingDeletion.' },
  KeyPendingImport: { status: 409, message: 'The request was rejected because the key state is PendingImport.' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchUpload: { status: 404, message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.' },
  NoSuchVersion: { status: 404, message: 'The specified version does not exist.' },
  NoSuchServerSideEncryptionRule: { status: 404, message: 'The server side encryption configuration was not found.' },
  NotImplemented: { status: 400, message: 'A header you provided implies functionality that is not implemented.' },
  NotSymlink: { status: 400, message: 'The specified object is not a symlink.' },
  OperationNotSupported: { status: 400, message: 'The operation is not supported for this resource.' },
  RestoreAlreadyInProgress: { status: 409, message: 'The restore operation is in progress.' },
  ObjectNotAppendable: { status: 409, message: 'The operation is not valid for the current object type.' },
  PositionNotEqualToLength: { status: 409, message: 'Position is not equal to file length.' },
  PreconditionFailed: { status: 412, message: 'At least one of the pre-conditions you specified did not hold.' },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the current time is too large.' },
  SignatureDoesNotMatch: { status: 403, message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' },
  SymlinkTargetNotExist: { status: 404, message: 'The symlink target object does not exist.' },
  InvalidSecurityToken: { status: 403, message: 'The security token you provided is invalid.' },
  SecurityTokenExpired: { status: 403, message: 'The security token you provided has expired.' },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.' },
  TooManyBuckets: { status: 400, message: 'You have attempted to create more buckets than allowed.' },
} as const;

export type OssErrorCode = keyof typeof ERROR_TABLE;

/** Extra XML elements some errors carry: Condition, Header, SignatureProvided, StringToSign, BucketName, Key, Method, ResourceType;
 *  `Parent/Child` names render nested. */
export type OssErrorDetails = Record<string, string>;

export class OssError extends Error {
  readonly status: number;
  constructor(
    readonly code: OssErrorCode,
    message?: string,
    readonly details: OssErrorDetails = {},
    /** OSS's EC ("0026-00000001"); optional, rendered as <EC> and the x-oss-ec header. */
    readonly ec?: string,
    status?: number,
  ) {
    super(message ?? ERROR_TABLE[code].message);
    this.name = 'OssError';
    this.status = status ?? ERROR_TABLE[code].status;
  }
}
