/** Method + path-pattern routing; the pattern (e.g. `GET /v2/jobs/:id`) doubles as the stats key. */
export interface Match<H> {
  handler: H;
  params: Record<string, string>;
  key: string;
}

interface Route<H> {
  method: string;
  segments: string[];
  key: string;
  handler: H;
}

export class Router<H> {
  private routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H, statsKey?: string): this {
    this.routes.push({
      method,
      segments: pattern.split('/').filter(Boolean),
      key: statsKey ?? `${method} ${pattern}`,
      handler,
    });
    return this;
  }

  /** `undefined` when nothing matches; `'method'` when the path exists under another method. */
  match(method: string, pathname: string): Match<H> | 'method' | undefined {
    const parts = pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        pathMatched = true;
        continue;
      }
      return { handler: route.handler, params, key: route.key };
    }
    return pathMatched ? 'method' : undefined;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
      params[p.slice(1)] = value;
    } else if (p !== parts[i]) return undefined;
  }
  return params;
}
