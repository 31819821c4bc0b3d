import { InjectionToken } from '@angular/core';

/** One flaky backend, as the server describes it in `/config.json`. */
export interface BackendInfo {
  readonly id: string;
  readonly label: string;
  /** `http://127.0.0.1:<port>/`: its origin names its breaker. */
  readonly url: string;
}

/** What the page needs to know before it starts. */
export interface DemoConfig {
  readonly backends: readonly BackendInfo[];
  /** Whether the backends are failing right now. */
  readonly outage: boolean;
  /** `HttpClient`'s backend: `fetch` (`withFetch()`) or `xhr` (the default). */
  readonly transport: 'fetch' | 'xhr';
}

export const DEMO_CONFIG = new InjectionToken<DemoConfig>('rxjs-fluxgate dashboard config');

/** The breaker name the interceptor gives a URL's requests by default: the URL's origin. */
export function breakerName(url: string): string {
  return new URL(url).origin;
}

/** Reads the server's config; `?http=fetch` in the page's address picks the fetch backend. */
export async function loadConfig(): Promise<DemoConfig> {
  const response = await fetch('/config.json');
  if (!response.ok) throw new Error(`/config.json: HTTP ${response.status}`);
  const body = (await response.json()) as Omit<DemoConfig, 'transport'>;
  const transport = new URLSearchParams(location.search).get('http') === 'fetch' ? 'fetch' : 'xhr';
  return { ...body, transport };
}
