// How an event stream reaches a client: SSE frames on a hijacked response, or one JSON message per
// event on a WebSocket. Used by the job and the batch event routes alike.
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { stream, type OpenStreams, type Streamable, type StreamOut, type Transport } from './services/event-streams.js';

const RETRY_MS = 2_000;

/** The first lines of every stream: how long a browser waits before it reconnects. */
export const SSE_PREAMBLE = `retry: ${RETRY_MS}\n\n`;

/** One event as an SSE frame. */
export const sseFrame = ({ id, event }: StreamOut) =>
  `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;

/** SSE frames on a hijacked response. */
function sseTransport(res: ServerResponse): Transport {
  return {
    name: 'sse',
    write: (out) => res.write(sseFrame(out)),
    heartbeat: () => res.write(`: keep-alive\n\n`),
    end: () => res.end(),
  };
}

/** One JSON text message per event; closes with 1000 after the terminal one, 1001 on shutdown. */
function websocketTransport(socket: WebSocket): Transport {
  return {
    name: 'websocket',
    write: ({ id, event }) => socket.send(JSON.stringify({ id, event: event.type, data: event.data })),
    heartbeat: () => socket.ping(),
    end: (reason) => {
      if (reason === 'final') socket.close(1000, 'final');
      else if (reason === 'shutdown') socket.close(1001, 'server shutting down');
    },
  };
}

/** Answers with the SSE stream of what `following` follows, until its final event or the client leaves. */
export function serveSse(req: FastifyRequest, reply: FastifyReply, following: Streamable, open: OpenStreams, context: Record<string, string>): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(SSE_PREAMBLE);
  const close = stream(following, sseTransport(res), open, req.log, context);
  req.raw.on('close', () => close('client'));
  res.on('error', () => close('client'));
}

/** The same over a WebSocket. */
export function serveSocket(socket: WebSocket, req: FastifyRequest, following: Streamable, open: OpenStreams, context: Record<string, string>): void {
  const close = stream(following, websocketTransport(socket), open, req.log, context);
  socket.on('close', () => close('client'));
  socket.on('error', () => close('client'));
}
