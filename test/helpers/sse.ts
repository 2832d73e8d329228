// A minimal Server-Sent Events client over fetch, reading the real stream.
export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** Events until the server ends the stream (or `until` returns true). */
  collect(until?: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  return {
    status: res.status,
    headers: res.headers,
    close: () => ac.abort(),
    async collect(until, timeoutMs = 120_000) {
      const out: SseEvent[] = [];
      if (!reader) return out;
      const timer = setTimeout(() => ac.abort(), timeoutMs);
      try {
        for (;;) {
          let sep: number;
          while ((sep = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, sep);
            buf = buf.slice(sep + 2);
            const e: SseEvent = { event: 'message', data: {} };
            let hasData = false;
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) e.id = line.slice(4);
              else if (line.startsWith('event: ')) e.event = line.slice(7);
              else if (line.startsWith('data: ')) {
                e.data = JSON.parse(line.slice(6)) as Record<string, unknown>;
                hasData = true;
              }
            }
            if (!hasData) continue; // retry hints and heartbeats
            out.push(e);
            if (until?.(e)) return out;
          }
          const { done, value } = await reader.read();
          if (done) return out;
          buf += decoder.decode(value, { stream: true });
        }
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw new Error(`SSE stream timed out; got ${JSON.stringify(out)}`);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
