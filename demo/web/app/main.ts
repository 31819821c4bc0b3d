// Angular's npm packages are partially compiled; the JIT compiler finishes them when they load,
// so it must be imported first.
import '@angular/compiler';
import {
  provideHttpClient,
  withFetch,
  withInterceptors,
  type HttpFeature,
  type HttpFeatureKind,
} from '@angular/common/http';
import { provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { circuitBreakerInterceptor, provideCircuitBreakers } from '../../../src/angular';
import { DEMO_CONFIG, loadConfig } from './config';
import { DashboardComponent } from './dashboard.component';
import { registryOptions } from './policies';
import { stampBreakerState } from './stamp';

async function main(): Promise<void> {
  const config = await loadConfig();
  const features: HttpFeature<HttpFeatureKind>[] = [
    // The breaker first, the stamp inside it: only requests the breaker admits get stamped.
    withInterceptors([circuitBreakerInterceptor(), stampBreakerState]),
  ];
  if (config.transport === 'fetch') features.push(withFetch());
  await bootstrapApplication(DashboardComponent, {
    providers: [
      provideZonelessChangeDetection(),
      provideCircuitBreakers(registryOptions(config.backends)),
      provideHttpClient(...features),
      { provide: DEMO_CONFIG, useValue: config },
    ],
  });
}

main().catch((error: unknown) => {
  console.error(error);
  document.body.textContent = `The dashboard failed to start: ${String(error)}`;
});
