import { HttpClient, HttpContext } from '@angular/common/http';
import { Component, DestroyRef, inject, signal } from '@angular/core';
import { CIRCUIT_BREAKER } from '../../../src/angular';
import { BreakerBoard } from './board';
import { CallsChartComponent } from './chart.component';
import { DEMO_CONFIG, breakerName } from './config';
import { POLICIES } from './policies';
import { Traffic } from './traffic';

/** The manual commands the first breaker's buttons send. */
const COMMANDS = ['forceOpen', 'reset', 'disable', 'metricsOnly'] as const;
type Command = (typeof COMMANDS)[number];

/** How often the Retry-After countdown is refreshed. */
const COUNTDOWN_MS = 250;

/**
 * The dashboard: the backends' switch, one badge per breaker (fed by the registry's `states$`)
 * with the `Retry-After` of its last refusal, the first breaker's manual commands, and the chart.
 */
@Component({
  selector: 'fluxgate-dashboard',
  imports: [CallsChartComponent],
  template: `
    <header>
      <h1>rxjs-fluxgate <span>live dashboard</span></h1>
      <p>
        Angular {{ transport === 'fetch' ? 'HttpClient with withFetch()' : 'HttpClient (XHR)' }}
        <span class="transport" [attr.data-transport]="transport">{{ transport }}</span>
      </p>
    </header>

    <section class="backends">
      <span>Backends:</span>
      <strong class="backend-state" [attr.data-backend-state]="outage() ? 'failing' : 'healthy'">
        {{ outage() ? 'failing' : 'healthy' }}
      </strong>
      <button data-action="fail" [disabled]="outage()" (click)="switchBackends(true)">Fail</button>
      <button data-action="heal" [disabled]="!outage()" (click)="switchBackends(false)">
        Heal
      </button>
    </section>

    <section class="breakers">
      @for (breaker of breakers; track breaker.name; let first = $first) {
        <article class="breaker">
          <h2>{{ breaker.label }}</h2>
          <code>{{ breaker.name }}</code>
          <span
            class="badge"
            [attr.data-breaker]="breaker.name"
            [attr.data-state]="states()[breaker.name]"
            >{{ states()[breaker.name] }}</span
          >
          <p class="policy">{{ breaker.summary }}</p>
          <p
            class="refusal"
            [attr.data-refusal]="breaker.name"
            [attr.data-refused-state]="refusals()[breaker.name]?.state ?? ''"
            [attr.data-retry-after]="remaining(breaker.name) ?? ''"
          >
            @if (refusals()[breaker.name]; as r) {
              Last refusal ({{ r.state }}):
              @if (r.retryAfter === null) {
                {{ r.state === 'half_open' ? 'a trial is in flight' : 'no Retry-After' }}
              } @else {
                Retry-After {{ r.retryAfter }} s,
                <strong>{{ remaining(breaker.name) }} s</strong> left
              }
            } @else {
              No refusal yet.
            }
          </p>
          @if (first) {
            <div class="commands">
              @for (command of commands; track command) {
                <button [attr.data-action]="command" (click)="run(breaker.name, command)">
                  {{ command }}()
                </button>
              }
            </div>
          }
        </article>
      }
    </section>

    <fluxgate-chart />
  `,
})
export class DashboardComponent {
  private readonly config = inject(DEMO_CONFIG);
  private readonly board = inject(BreakerBoard);
  private readonly http = inject(HttpClient);

  protected readonly transport = this.config.transport;
  protected readonly commands = COMMANDS;
  protected readonly states = this.board.states;
  protected readonly refusals = this.board.refusals;
  protected readonly outage = signal(this.config.outage);
  protected readonly breakers = this.config.backends.map((backend) => ({
    name: breakerName(backend.url),
    label: backend.label,
    summary: POLICIES[backend.id]?.summary ?? 'default policy',
  }));

  private readonly now = signal(Date.now());

  /**
   * Whole seconds left of the Retry-After of `name`'s last refusal, counted down from when it
   * came; `null` before any refusal or for one without Retry-After.
   */
  protected remaining(name: string): number | null {
    const r = this.refusals()[name];
    if (r === undefined || r.retryAfter === null) return null;
    const now = Math.max(this.now(), r.at);
    return Math.max(0, Math.ceil((r.at + r.retryAfter * 1000 - now) / 1000));
  }

  constructor() {
    // Make every breaker now, so each has its badge before its first request.
    for (const breaker of this.breakers) this.board.registry.get(breaker.name);
    const [orders, catalog] = this.config.backends;
    const traffic = orders && catalog ? inject(Traffic).start(orders, catalog) : undefined;
    const clock = setInterval(() => this.now.set(Date.now()), COUNTDOWN_MS);
    inject(DestroyRef).onDestroy(() => {
      traffic?.unsubscribe();
      clearInterval(clock);
    });
  }

  /** Tells the server to fail or heal both backends (a request no breaker guards). */
  protected switchBackends(fail: boolean): void {
    this.http
      .post<{ outage: boolean }>(`/control/${fail ? 'fail' : 'heal'}`, null, {
        context: new HttpContext().set(CIRCUIT_BREAKER, false),
      })
      .subscribe({
        next: ({ outage }) => this.outage.set(outage),
        error: (error: unknown) => console.error('switching the backends failed', error),
      });
  }

  protected run(name: string, command: Command): void {
    this.board.registry.get(name)[command]();
  }
}
