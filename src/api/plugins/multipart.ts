// Multipart uploads (POST /remove-bg), within the upload size limit.
import multipart from '@fastify/multipart';
import fp from 'fastify-plugin';

export default fp<{ maxUploadBytes: number }>(async (app, { maxUploadBytes }) => {
  await app.register(multipart, {
    limits: { fileSize: maxUploadBytes, files: 1, fields: 10, parts: 12, fieldSize: 1024 },
  });
}, { name: 'multipart' });
