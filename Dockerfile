# syntax=docker/dockerfile:1
# linkerd-cert-guard: the CLI (lint, check, serve) on Node 20, run as a non-root user.
#   docker build -t linkerd-cert-guard:0.1.0 .
#   docker run --rm linkerd-cert-guard:0.1.0 lint - < manifests.yaml
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile the TypeScript sources with the full (dev) dependency tree.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY checks ./checks
COPY webhook ./webhook
RUN npm run build

# 2. Production dependencies only, from the same lockfile.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: compiled output + production node_modules, nothing else.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# the CLI bundle (npm run build): its chunks, and the packages it leaves to node_modules
COPY --from=build /src/dist/bin ./dist/bin
# package.json: "type": "module" for the compiled ESM, and the version `--version` prints.
COPY package.json ./
# Numeric uid/gid so runAsNonRoot can verify it; matches the chart's podSecurityContext.
USER 65532:65532
# 8443: webhook HTTPS (serve --listen); 9090: metrics (serve --metrics-listen).
EXPOSE 8443 9090
ENTRYPOINT ["node", "dist/bin/main.js"]
CMD ["--help"]
