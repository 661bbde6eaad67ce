import { describe, expect, it } from 'vitest';
import { checkUrl, fileNameFromUrl, looksLikeUrlList, parseUrlList, splitCsvLine, urlKey } from '../../renderer/src/lib/urlList';

describe('parseUrlList', () => {
  it('reads one URL per line and keeps their order', () => {
    const r = parseUrlList('https://a.example/1.jpg\nhttp://b.example/2.png\r\nhttps://c.example/3.pdf');
    expect(r.urls).toEqual(['https://a.example/1.jpg', 'http://b.example/2.png', 'https://c.example/3.pdf']);
    expect(r.rejected).toEqual([]);
    expect(r.duplicates).toBe(0);
  });

  it('finds URLs inside prose and strips sentence punctuation but keeps balanced brackets', () => {
    const text = 'Photos: see https://a.example/x.jpg, and (https://b.example/y.png). Also https://en.example/wiki/Foo_(bar) ok';
    const r = parseUrlList(text);
    expect(r.urls).toEqual(['https://a.example/x.jpg', 'https://b.example/y.png', 'https://en.example/wiki/Foo_(bar)']);
  });

  it('lists lines that are not http(s) URLs with the reason instead of dropping them', () => {
    const r = parseUrlList(
      ['https://ok.example/a.jpg', 'ftp://files.example/b.jpg', 'example.com/c.jpg', 'just some words', 'http:/broken.example/d.jpg'].join('\n'),
    );
    expect(r.urls).toEqual(['https://ok.example/a.jpg']);
    expect(r.rejected).toEqual([
      { input: 'ftp://files.example/b.jpg', reason: expect.stringContaining('Only http:// and https://'), line: 2 },
      { input: 'example.com/c.jpg', reason: 'Missing http:// or https://', line: 3 },
      { input: 'just some words', reason: 'No URL in this line', line: 4 },
      { input: 'http:/broken.example/d.jpg', reason: expect.stringContaining('missing //'), line: 5 },
    ]);
  });

  it('refuses URLs that carry credentials (they would be stored in plain text)', () => {
    const r = parseUrlList('https://user:secret@host.example/a.jpg');
    expect(r.urls).toEqual([]);
    expect(r.rejected[0].reason).toMatch(/user name or password/);
  });

  it('merges duplicates within the text and against what is already queued', () => {
    const r = parseUrlList('https://A.example/a.jpg\nhttps://a.example/a.jpg#frag\nhttps://a.example/b.jpg\nhttps://a.example/c.jpg', {
      existing: ['https://a.example/c.jpg'],
    });
    expect(r.urls).toEqual(['https://a.example/a.jpg', 'https://a.example/b.jpg']);
    expect(r.duplicates).toBe(2);
  });

  it('honours text/uri-list comments', () => {
    const r = parseUrlList('# a comment\r\nhttps://a.example/1.jpg\r\n', { format: 'uri-list' });
    expect(r.urls).toEqual(['https://a.example/1.jpg']);
    expect(r.rejected).toEqual([]);
  });

  it('splits URLs glued together by commas or semicolons', () => {
    expect(parseUrlList('https://a.example/1.jpg,https://a.example/2.jpg;https://a.example/3.jpg').urls).toHaveLength(3);
  });

  it('reads CSV cells, quoted or not, and skips a header without URLs', () => {
    const csv = 'url,name\n"https://a.example/1.jpg","First, photo"\nhttps://a.example/2.jpg;second\n';
    const r = parseUrlList(csv, { format: 'csv' });
    expect(r.urls).toEqual(['https://a.example/1.jpg', 'https://a.example/2.jpg']);
    expect(r.rejected).toEqual([{ input: 'url,name', reason: 'No URL in this line', line: 1 }]);
  });

  it('rejects over-long URLs', () => {
    const r = parseUrlList(`https://a.example/${'x'.repeat(9000)}`);
    expect(r.urls).toEqual([]);
    expect(r.rejected[0].reason).toMatch(/Longer than 8192/);
  });

  it('caps the rejected list and says how many more there were', () => {
    const r = parseUrlList(Array.from({ length: 12 }, (_, i) => `nope ${i}`).join('\n'), { maxRejected: 10 });
    expect(r.rejected).toHaveLength(11);
    expect(r.rejected[10].input).toBe('…and 2 more lines');
  });

  it('handles 10,000 URLs quickly enough for one paste', () => {
    const text = Array.from({ length: 10_000 }, (_, i) => `https://files.example/set/${i}.jpg`).join('\n');
    const t0 = performance.now();
    const r = parseUrlList(text);
    expect(r.urls).toHaveLength(10_000);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('URL helpers', () => {
  it('checkUrl accepts www. hosts as https', () => {
    expect(checkUrl('www.example.com/a.png')).toEqual({ ok: true, url: 'https://www.example.com/a.png' });
    expect(checkUrl('javascript:alert(1)')).toMatchObject({ ok: false });
  });
  it('urlKey ignores the fragment and normalises the host', () => {
    expect(urlKey('HTTPS://Example.com:443/a#x')).toBe('https://example.com/a');
  });
  it('fileNameFromUrl decodes the last segment', () => {
    expect(fileNameFromUrl('https://a.example/dir/my%20file.jpg?x=1')).toBe('my file.jpg');
    expect(fileNameFromUrl('https://a.example/')).toBeNull();
  });
  it('splitCsvLine guesses the delimiter and unescapes quotes', () => {
    expect(splitCsvLine('a;"b;""c""";d')).toEqual(['a', 'b;"c"', 'd']);
    expect(splitCsvLine('a\tb')).toEqual(['a', 'b']);
  });
  it('looksLikeUrlList tells a URL list from a document that mentions a URL', () => {
    expect(looksLikeUrlList('url\nhttps://a.example/1.jpg\nhttps://a.example/2.jpg')).toBe(true);
    expect(looksLikeUrlList('Dear team,\nthe file is at https://a.example/1.jpg\nregards\nme')).toBe(false);
    expect(looksLikeUrlList('')).toBe(false);
  });
});
