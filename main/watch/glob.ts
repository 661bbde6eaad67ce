/**
 * Shell-style globs for --include / --exclude: `*` and `?` within a name, `**` across folders,
 * `{a,b}` alternatives. A pattern without "/" matches the file name; with one, the path relative
 * to the watched folder.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        re += '.*';
        i++;
        if (pattern[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${pattern
          .slice(i + 1, end)
          .split(',')
          .map(escapeRegex)
          .join('|')})`;
        i = end;
      }
    } else re += escapeRegex(c);
  }
  return new RegExp(`^${re}$`, process.platform === 'win32' ? 'i' : '');
}

function escapeRegex(s: string): string {
  return s.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
}

/** Whether a file (path relative to the watched folder, "/"-separated) passes the filters. */
export function makeFilter(include: string[], exclude: string[]): (rel: string) => boolean {
  const compile = (p: string) => ({ re: globToRegExp(p), onPath: p.includes('/') });
  const inc = include.map(compile);
  const exc = exclude.map(compile);
  const hit = (rel: string, g: { re: RegExp; onPath: boolean }) => g.re.test(g.onPath ? rel : rel.slice(rel.lastIndexOf('/') + 1));
  return (rel) => (inc.length === 0 || inc.some((g) => hit(rel, g))) && !exc.some((g) => hit(rel, g));
}
