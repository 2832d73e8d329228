// Which registered routes a concrete path matches, for 405 answers and for errors raised before
// routing (a broken URL, an over-long id).

export interface RouteEntry {
  method: string;
  url: string;
}

const patterns = new WeakMap<RouteEntry[], { method: string; re: RegExp; url: string }[]>();

function compiled(routes: RouteEntry[]) {
  let list = patterns.get(routes);
  if (!list || list.length !== routes.length) {
    list = routes.map((r) => ({
      method: r.method,
      url: r.url,
      re: new RegExp(`^${r.url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`),
    }));
    patterns.set(routes, list);
  }
  return list;
}

/** The methods the routes take for this path (HEAD where GET is), sorted; empty when none. */
export function allowedMethods(routes: RouteEntry[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of compiled(routes)) {
    if (!r.re.test(path)) continue;
    methods.add(r.method);
    if (r.method === 'GET') methods.add('HEAD');
  }
  return [...methods].sort();
}

/** The job id in the path when it is one of the job routes (`/…/:job_id`, `/jobs/:job_id/mask`); null otherwise. */
export function jobIdInPath(routes: RouteEntry[], path: string): string | null {
  const route = compiled(routes).find((r) => r.url.split('/').includes(':job_id') && r.re.test(path));
  return route ? (path.split('/')[route.url.split('/').indexOf(':job_id')] ?? '') : null;
}
