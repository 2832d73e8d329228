// Multipart uploads (POST /remove-bg), within the upload size limit.
import multipart from '@fastify/multipart';
import fp from 'fastify-plugin';
import { MAX_URL_LENGTH } from '../../net/destination.js';
import { MAX_FORM_FIELDS } from '../errors.js';

export default fp<{ maxUploadBytes: number }>(async (app, { maxUploadBytes }) => {
  await app.register(multipart, {
    // Two files at most: the image, and a background image (bg_image). A text field holds an
    // image_url at its longest.
    limits: { fileSize: maxUploadBytes, files: 2, fields: MAX_FORM_FIELDS, parts: MAX_FORM_FIELDS + 2, fieldSize: MAX_URL_LENGTH },
  });
}, { name: 'multipart' });
