// A multipart/form-data upload by hand: whole for inject(), or in parts for a raw request that
// sends the file in pieces. `type` is the part's Content-Type as a client claims it (the api
// recognises the format from the bytes).
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
