// Uploads in tests: over HTTP as a client does (upload), or a multipart/form-data body by hand,
// whole for inject() or in parts for a raw request that sends the file in pieces. `type` is the
// part's Content-Type as a client claims it (the api recognises the format from the bytes).
const BOUNDARY = '----cutouttest';

export function multipartParts(filename: string, opts: { field?: string; type?: string } = {}) {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${opts.field ?? 'file'}"; filename="${filename}"\r\n` +
      `Content-Type: ${opts.type ?? 'application/octet-stream'}\r\n\r\n`,
  );
  return { head, tail: Buffer.from(`\r\n--${BOUNDARY}--\r\n`), contentType: `multipart/form-data; boundary=${BOUNDARY}` };
}

/** The body and headers of a one-file upload, to spread into inject() options. */
export function multipart(filename: string, body: Buffer, opts: { field?: string; type?: string } = {}) {
  const { head, tail, contentType } = multipartParts(filename, opts);
  return { payload: Buffer.concat([head, body, tail]), headers: { 'content-type': contentType } };
}

/** POST /remove-bg with one file over HTTP, as a client does (fetch builds the multipart body). */
export function upload(base: string, bytes: Uint8Array, name: string, headers?: Record<string, string>): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  return fetch(`${base}/remove-bg`, { method: 'POST', body: form, headers });
}

/** A multipart body of text fields (and perhaps one file), to spread into inject() options. */
export function textForm(fields: Record<string, string>, file?: { bytes: Buffer; filename?: string; field?: string }) {
  const parts: Buffer[] = Object.entries(fields).map(([name, value]) => Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file) {
    const { head } = multipartParts(file.filename ?? 'image.png', { field: file.field });
    parts.push(head, file.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } };
}
