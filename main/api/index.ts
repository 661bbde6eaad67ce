/** The api2convert v2 client: the only way main/ talks to api2convert or the local engine. */
export { Api2ConvertClient, API_KEY_HEADER, TOKEN_HEADER, IDEMPOTENCY_HEADER, type ClientOptions } from './client';
export { isTerminal, TERMINAL_STATUSES } from './types';
export type {
  Job,
  JobStatus,
  UserError,
  InputFile,
  OutputFile,
  OutputTarget,
  Conversion,
  ConversionInfo,
  JobCreate,
  InputCreate,
  ConversionCreate,
  OutputTargetSpec,
  CloudSource,
  OutputTargetType,
} from './types';
export { JobSchema, InputFileSchema, OutputFileSchema, ConversionSchema, ConversionInfoSchema } from './types';
export type { PollOptions, RetryOptions } from './backoff';
export { DEFAULT_POLL, DEFAULT_RETRY, backoffDelay, parseRetryAfter, pollDelays } from './backoff';
export {
  ApiError,
  ValidationError,
  AuthError,
  PaymentError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ServerError,
  NetworkError,
  TimeoutError,
  IntegrityError,
  isAbortError,
  type ApiErrorKind,
} from './errors';
export { maskSecrets, redactText, isSecretName } from './redact';
export { DOWNLOAD_PASSWORD_HEADER, type DownloadOptions } from './download';
export { DEFAULT_CHUNK_SIZE, type UploadOptions } from './upload';
export { uploadFilename } from './multipart';
