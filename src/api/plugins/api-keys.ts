// Optional API keys (API_KEYS, API_KEYS_FILE): see auth.ts for what is open and how keys are sent.
import fp from 'fastify-plugin';
import { installApiKeys } from '../auth.js';

export default fp<{ keys: string[] }>(async (app, { keys }) => {
  installApiKeys(app, keys);
}, { name: 'api-keys' });
