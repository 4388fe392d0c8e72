# syntax=docker/dockerfile:1
# realtime-arena app image. Two stages: the build stage has the dev dependencies (tsc), the runtime
# stage only production dependencies, the compiled dist/ and the public/ pages with their bundled scripts.
# Node pinned to the same 20.x the project is developed and tested on.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Lockfile first so the dependency layer is cached until package*.json change.
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script bundles the pages from sources not copied yet; `npm run build` does it below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# tsc -p tsconfig.json: rootDir is the repo root, so the entry point lands at dist/src/main.js;
# then esbuild bundles public/src into public/dist.
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY public ./public
COPY --from=build /app/public/dist ./public/dist
# Files stay root-owned (read-only to the app); the process runs unprivileged.
USER node
EXPOSE 8080
CMD ["node", "--max-semi-space-size=32", "--single-threaded-gc", "dist/src/main.js"]
