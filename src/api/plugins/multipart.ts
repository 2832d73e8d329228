// Multipart uploads (POST /remove-bg), within the upload size limit.
import multipart from '@fastify/multipart';
import fp from 'fastify-plugin';
import { MAX_FORM_FIELDS } from '../errors.js';

export default fp<{ maxUploadBytes: number }>(async (app, { maxUploadBytes }) => {
  await app.register(multipart, {
    // Two files at most: the image, and a background image (bg_image).
    limits: { fileSize: maxUploadBytes, files: 2, fields: MAX_FORM_FIELDS, parts: MAX_FORM_FIELDS + 2, fieldSize: 1024 },
  });
}, { name: 'multipart' });
