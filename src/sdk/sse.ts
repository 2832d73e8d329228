// Server-Sent Events read from a fetch response's body (text/event-stream), so a request may carry
// headers (an API key) that EventSource cannot send. Works wherever fetch streams bodies: Node 20
// and browsers.

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** One block (the lines between blank lines) as a message; null for comments and retry-only blocks. */
function parseBlock(block: string): SseMessage | null {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return data.length ? { event, data: data.join('\n'), ...(id !== undefined ? { id } : {}) } : null;
}

/** The messages of an event stream, as they arrive, until the body ends. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      // Line ends as \n; a \r at the end of a chunk waits: its \n may be the next chunk's first byte.
      const held = buf.endsWith('\r') ? '\r' : '';
      buf = buf.slice(0, buf.length - held.length).replace(/\r\n?/g, '\n') + held;
      let sep: number;
      while ((sep = buf.indexOf('\n\n')) >= 0) {
        const message = parseBlock(buf.slice(0, sep));
        buf = buf.slice(sep + 2);
        if (message) yield message;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
