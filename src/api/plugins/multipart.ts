// Multipart uploads (POST /remove-bg), within the upload size limit.
import multipart from '@fastify/multipart';
import fp from 'fastify-plugin';
import { MAX_FORM_FIELDS } from '../errors.js';

export default fp<{ maxUploadBytes: number }>(async (app, { maxUploadBytes }) => {
  await app.register(multipart, {
    limits: { fileSize: maxUploadBytes, files: 1, fields: MAX_FORM_FIELDS, parts: MAX_FORM_FIELDS + 1, fieldSize: 1024 },
  });
}, { name: 'multipart' });
