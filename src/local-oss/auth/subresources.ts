/**
 * Query parameters that OSS V1 signatures cover ("subresources"). Plain parameters such as prefix, marker, max-keys
 * or list-type are not signed in V1. Source: the CanonicalizedResource list of the OSS signature doc (oss-api.md
 * §4.1, [DOC21]) plus the newer ones ali-oss 6.23 passes as `subres` (lib/common/bucket/*.js, lib/object.js,
 * lib/common/multipart*.js), and the official SDKs' signing lists (aliyun-oss-go-sdk conn.go signKeyList).
 */
export const SIGNED_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete', 'append', 'tagging',
  'objectMeta', 'uploadId', 'partNumber', 'security-token', 'position', 'img', 'style', 'styleName', 'replication',
  'replicationProgress', 'replicationLocation', 'cname', 'bucketInfo', 'comp', 'qos', 'live', 'status', 'vod',
  'startTime', 'endTime', 'symlink', 'x-oss-process', 'response-content-type', 'x-oss-traffic-limit',
  'response-content-language', 'response-expires', 'response-cache-control', 'response-content-disposition',
  'response-content-encoding', 'udf', 'udfName', 'udfImage', 'udfId', 'udfImageDesc', 'udfApplication',
  'udfApplicationLog', 'restore', 'callback', 'callback-var', 'qosInfo', 'policy', 'stat', 'encryption', 'versions',
  'versioning', 'versionId', 'requestPayment', 'x-oss-request-payer', 'sequential', 'inventory', 'inventoryId',
  'continuation-token', 'asyncFetch', 'worm', 'wormId', 'wormExtend', 'withHashContext', 'x-oss-enable-md5',
  'x-oss-enable-sha1', 'x-oss-enable-sha256', 'x-oss-hash-ctx', 'x-oss-md5-ctx', 'transferAcceleration',
  'regionList', 'cloudboxes', 'x-oss-ac-source-ip', 'x-oss-ac-subnet-mask', 'x-oss-ac-vpc-id',
  'x-oss-ac-forward-allow', 'metaQuery', 'resourceGroup', 'rtc', 'x-oss-async-process', 'responseHeader',
  'bucketArchiveDirectRead', 'accessMonitor', 'dataRedundancyTransition', 'x-oss-redundancy-transition-taskid',
  'publicAccessBlock', 'policyStatus', 'httpsConfig', 'statistics', 'archiveDirectRead', 'userDefinedLogFieldsConfig',
  'overwriteConfig',
]);
