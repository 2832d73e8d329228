// The SDK's event-stream reader: messages split across chunks anywhere, CRLF line ends, comments
// (keep-alives) and retry lines skipped, multi-line data joined.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSse, type SseMessage } from '../../src/sdk/sse.js';

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

async function all(chunks: string[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of readSse(body(chunks))) out.push(m);
  return out;
}

describe('readSse', () => {
  const stream = 'retry: 3000\n\nid: 1\nevent: queued\ndata: {"position":1}\n\n: keep-alive\n\nid: 2\nevent: done\ndata: {"a":\ndata: 1}\n\n';
  const expected: SseMessage[] = [
    { event: 'queued', data: '{"position":1}', id: '1' },
    { event: 'done', data: '{"a":\n1}', id: '2' },
  ];

  it('reads messages, skipping comments and retry blocks', async () => {
    assert.deepEqual(await all([stream]), expected);
  });

  it('reads the same wherever the chunks break, and with CRLF line ends', async () => {
    for (let cut = 1; cut < stream.length; cut += 7) assert.deepEqual(await all([stream.slice(0, cut), stream.slice(cut)]), expected);
    assert.deepEqual(await all(stream.replace(/\n/g, '\r\n').split(/(?<=\r)/)), expected);
  });

  it('drops a message the stream ended in the middle of', async () => {
    assert.deepEqual(await all(['event: done\ndata: {}']), []);
  });
});
