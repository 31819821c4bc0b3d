import { Component, DestroyRef, ElementRef, afterNextRender, inject } from '@angular/core';
import { eachBreaker, type BreakerEvent } from 'rxjs-fluxgate';
import uPlot from 'uplot';
import { BreakerBoard } from './board';

/** The outcomes the chart draws, in series order (after the time axis). */
export const OUTCOMES = ['success', 'failure', 'rejected', 'cancelled'] as const;
type Outcome = (typeof OUTCOMES)[number];

const COLOURS: Record<Outcome, string> = {
  success: '#2e9d4f',
  failure: '#d64541',
  rejected: '#e69a1f',
  cancelled: '#7f8c9a',
};

/** How many seconds the chart shows (at least `MIN_SPAN_S`, at most `SPAN_S`); how often it redraws. */
const SPAN_S = 30;
const MIN_SPAN_S = 10;
const REDRAW_MS = 500;

declare global {
  interface Window {
    /** The chart, for a look from the console (and for the browser test). */
    fluxgateChart?: uPlot;
  }
}

/**
 * Calls per second by outcome, all breakers together, over the last 30 seconds: counted from each
 * breaker's `events$` (one event per call), drawn with uPlot.
 */
@Component({
  selector: 'fluxgate-chart',
  // uPlot draws into the host element itself.
  template: '',
  host: { 'data-chart': 'calls-per-second' },
})
export class CallsChartComponent {
  private readonly board = inject(BreakerBoard);
  private readonly host: HTMLElement = inject(ElementRef).nativeElement;
  /** Counts per whole second (Unix time): one number per outcome, in `OUTCOMES` order. */
  private readonly perSecond = new Map<number, number[]>();
  /** The second of the first event: the seconds before it have no points. */
  private firstSecond: number | undefined;

  constructor() {
    const events = eachBreaker(this.board.registry, (breaker) =>
      breaker.events$.subscribe((event) => this.count(event)),
    );
    let plot: uPlot | undefined;
    let redraw: ReturnType<typeof setInterval> | undefined;
    const resize = (): void => plot?.setSize(this.size());
    afterNextRender(() => {
      plot = new uPlot(this.options(), this.data(), this.host);
      window.fluxgateChart = plot;
      redraw = setInterval(() => plot?.setData(this.data()), REDRAW_MS);
      window.addEventListener('resize', resize);
    });
    inject(DestroyRef).onDestroy(() => {
      events.unsubscribe();
      clearInterval(redraw);
      window.removeEventListener('resize', resize);
      plot?.destroy();
      if (window.fluxgateChart === plot) delete window.fluxgateChart;
    });
  }

  private count(event: BreakerEvent): void {
    const index = OUTCOMES.indexOf(event.type as Outcome);
    if (index < 0) return; // `ignored`: the demo's backends send no error a tracker ignores
    const second = Math.floor(event.at / 1000);
    this.firstSecond ??= second;
    let counts = this.perSecond.get(second);
    if (counts === undefined) {
      counts = OUTCOMES.map(() => 0);
      this.perSecond.set(second, counts);
    }
    counts[index] = (counts[index] ?? 0) + 1;
  }

  /**
   * The seconds since the first event, the current one included: `MIN_SPAN_S` at least (empty
   * before the first event), `SPAN_S` at most (older counts are dropped).
   */
  private data(): uPlot.AlignedData {
    const now = Math.floor(Date.now() / 1000);
    const first = this.firstSecond ?? now + 1;
    const from = Math.max(now - SPAN_S + 1, Math.min(first, now - MIN_SPAN_S + 1));
    for (const second of this.perSecond.keys()) if (second < from) this.perSecond.delete(second);
    const xs: number[] = [];
    const series: Array<Array<number | null>> = OUTCOMES.map(() => []);
    for (let second = from; second <= now; second += 1) {
      xs.push(second);
      const counts = this.perSecond.get(second);
      series.forEach((values, i) => values.push(second < first ? null : (counts?.[i] ?? 0)));
    }
    return [xs, ...series];
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(320, this.host.clientWidth), height: 240 };
  }

  private options(): uPlot.Options {
    return {
      ...this.size(),
      title: 'Calls per second, by outcome',
      scales: { y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.1))] } },
      // Whole calls: y ticks at integer steps only.
      axes: [{}, { label: 'calls / s', incrs: [1, 2, 5, 10, 20, 50, 100, 200] }],
      legend: { live: false },
      series: [
        {},
        ...OUTCOMES.map((outcome) => ({
          label: outcome,
          stroke: COLOURS[outcome],
          width: 2,
          points: { size: 5 },
        })),
      ],
    };
  }
}
