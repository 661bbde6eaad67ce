/**
 * Cloud inputs (`input.type = "cloud"`) and output targets (`conversion.output_target[]`), as the
 * api2convert guide defines them. Owned by engine/cloud; the job runner only calls these.
 */

export type CloudSource = 'amazons3' | 'azure' | 'ftp' | 'googlecloud';

export interface CloudDescriptor {
  /** Input: `source`; output target: `type`. */
  provider: CloudSource;
  parameters: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

/**
 * Where the official services live. Tests and local setups point these at Azurite, s3rver and a
 * Google Cloud Storage stand-in; in production they are left unset (the providers' real hosts).
 */
export interface CloudEndpoints {
  amazons3?: string;
  azure?: string;
  googlecloud?: string;
}

/** A failure with a message safe to show: it names what was wrong, never a credential. */
export class CloudError extends Error {
  constructor(
    message: string,
    /** 'invalid' | 'auth' | 'not_found' | 'exists' | 'permission' | 'unreachable' | 'error' */
    readonly kind: string,
  ) {
    super(message);
    this.name = 'CloudError';
  }
}
