/** Error codes in `errors[]` entries (api2convert uses small integers; 99 is its generic code). */
export const ErrorCodes = {
  generic: 99,
  conversionFailed: 1,
  targetUploadFailed: 99,
} as const;
