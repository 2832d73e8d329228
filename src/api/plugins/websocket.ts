// The WebSocket form of /events. Clients only listen, so their messages are kept tiny.
import websocket from '@fastify/websocket';
import fp from 'fastify-plugin';

export default fp(async (app) => {
  await app.register(websocket, { options: { maxPayload: 4096 } });
}, { name: 'websocket' });
