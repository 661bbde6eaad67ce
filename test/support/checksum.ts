/**
 * What the engine's input and output `checksum` is: the SHA-1 hex of the bytes, the form of
 * openapi.json's InputFile example. Written here, not imported from engine/, so that a change of
 * algorithm there fails the tests that compare against it.
 */
import crypto from 'node:crypto';

export function checksumOf(data: Buffer | string): string {
  return crypto.createHash('sha1').update(data).digest('hex');
}
