import { defineConfig } from 'tsup';

/** The core entry point and one secondary entry point per integration. */
const entry: Record<string, string> = {
  index: 'src/index.ts',
  angular: 'src/angular/index.ts',
  prometheus: 'src/prometheus/index.ts',
  opentelemetry: 'src/opentelemetry/index.ts',
  slack: 'src/slack/index.ts',
  redis: 'src/redis/index.ts',
};

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  // No shared chunks: each entry point inlines the small internal modules it uses (the options
  // checker), so an integration's ESM file imports only its peer, rxjs and 'rxjs-fluxgate'.
  splitting: false,
  // Peers are never bundled; each integration's library stays the user's own install.
  // Integrations import the core as 'rxjs-fluxgate', so every entry point shares one copy of it.
  external: [
    'rxjs-fluxgate',
    /^rxjs/,
    /^@angular\//,
    'prom-client',
    /^@opentelemetry\//,
    /^@slack\//,
    'redis',
    'ioredis',
    /^@redis\//,
  ],
});
