// The public links of a job's resources, shared by the api (answers) and the worker (webhooks).
import type { Config } from '../config.js';

/** Links to a job's resources: absolute when PUBLIC_URL is set, else relative to the api. */
export function jobLinks(config: Pick<Config, 'PUBLIC_URL'>, jobId: string) {
  const base = config.PUBLIC_URL.replace(/\/$/, '');
  return {
    status: `${base}/status/${jobId}`,
    result: `${base}/result/${jobId}`,
    events: `${base}/events/${jobId}`,
  };
}
