import { describe, expect, it } from 'vitest';
import { maskSecrets, redactText } from '../../main/api/redact';
import { apiMessageOf } from '../../main/api/call';

describe('maskSecrets', () => {
  it('masks every field whose name looks secret, at any depth', () => {
    const masked = maskSecrets({
      input: [
        {
          type: 'cloud',
          source: 'amazons3',
          parameters: { bucket: 'b', file: 'a.jpg', sas_url: 'x', sig: 'y' },
          credentials: { accesskeyid: 'AKIA', secretaccesskey: 'shh' },
        },
      ],
      conversion: [{ target: 'png', output_target: [{ type: 'googlecloud', credentials: { keyfile: { private_key: 'pk' } } }] }],
      download_passwords: ['hunter2'],
      token: 't',
      api_key: 'k',
      passphrase: 'p',
      callback: 'http://x/cb',
    });
    const text = JSON.stringify(masked);
    for (const secret of ['AKIA', 'shh', 'pk', 'hunter2', '"t"', '"k"', '"p"', '"x"', '"y"']) expect(text).not.toContain(secret);
    expect(masked.input[0].parameters.bucket).toBe('b');
    expect(masked.input[0].parameters.file).toBe('a.jpg');
    expect(masked.callback).toBe('http://x/cb');
  });
});

describe('redactText', () => {
  it('replaces known secret values wherever they appear (also URL-encoded)', () => {
    const out = redactText('key abc/def+123 and abc%2Fdef%2B123 here', ['abc/def+123']);
    expect(out).not.toContain('abc/def+123');
    expect(out).not.toContain('abc%2Fdef%2B123');
  });
  it('masks JSON fields and query parameters with secret names', () => {
    const out = redactText('{"password": "pw1", "file": "a.png", "credentials": {"accountkey": "k1"}} https://h/x?sig=abc&name=ok&sv=1');
    expect(out).not.toContain('pw1');
    expect(out).not.toContain('k1');
    expect(out).not.toContain('sig=abc');
    expect(out).toContain('"file": "a.png"');
    expect(out).toContain('name=ok');
  });
});

describe('apiMessageOf', () => {
  it('takes the API message and masks secret fields in its error details', () => {
    const { message, code } = apiMessageOf(
      Buffer.from(JSON.stringify({ code: 8, message: 'Invalid input', errors: { input: { credentials: { password: 'topsecret' } } } })),
    );
    expect(code).toBe(8);
    expect(message).toContain('Invalid input');
    expect(message).not.toContain('topsecret');
  });
  it('ignores HTML error pages and keeps short text', () => {
    expect(apiMessageOf(Buffer.from('<!DOCTYPE html><html>bad gateway</html>')).message).toBeUndefined();
    expect(apiMessageOf(Buffer.from('upstream down')).message).toBe('upstream down');
  });
});
