// A request whose upload progress is wanted, in a browser: fetch cannot tell how much of a body is
// sent, XMLHttpRequest can. Answers a fetch Response, so the client treats it as any other.

/** A fetch made over XMLHttpRequest, reporting the percent of the request's body sent. */
export const fetchReportingUpload =
  (onProgress: (percent: number) => void): typeof fetch =>
  (url, init = {}) =>
    new Promise((resolve, reject) => {
      const { signal } = init;
      if (signal?.aborted) return reject(signal.reason);
      const xhr = new XMLHttpRequest();
      xhr.open(init.method ?? 'GET', String(url));
      for (const [name, value] of Object.entries(init.headers ?? {})) xhr.setRequestHeader(name, value as string);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
      xhr.onload = () => {
        const headers = new Headers();
        for (const line of xhr.getAllResponseHeaders().split('\r\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
        }
        resolve(new Response(xhr.responseText || null, { status: xhr.status, headers }));
      };
      xhr.onerror = () => reject(new TypeError('the connection failed'));
      xhr.onabort = () => reject(signal?.reason);
      signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(init.body as XMLHttpRequestBodyInit);
    });
