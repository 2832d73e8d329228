// How the environment's text becomes values: the small parsers config.ts builds its schema from.
import { z } from 'zod';

export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max);

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0),
);

/** "host:port" entries, comma-separated: Redis Sentinels, or Redis Cluster nodes. IPv6 in brackets. */
export const hostPorts = csv.transform((entries, ctx) => {
  const list: { host: string; port: number }[] = [];
  for (const entry of entries) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(entry);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) {
      ctx.issues.push({ code: 'custom', message: `"${entry}" is not host:port (e.g. redis-1:6379, 10.0.0.5:26379, [::1]:6379)`, input: entry });
      continue;
    }
    list.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return list;
});
