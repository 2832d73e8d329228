// Every error, the framework's included, answers with the one JSON error body.
import fp from 'fastify-plugin';
import { installErrorHandlers } from '../errors.js';

export default fp<{ maxUploadBytes: number }>(async (app, { maxUploadBytes }) => {
  installErrorHandlers(app, maxUploadBytes);
}, { name: 'errors' });
