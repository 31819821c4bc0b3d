/**
 * Drives the reference model and the real breaker with the same step, and checks that they agree.
 * `Offsets` lets the model take over a real breaker part-way through its life (it then compares
 * only what happened since).
 */
import { buildConfig } from './config-spec';
import type { ReferenceModel } from './reference-model';
import type { RealSystem } from './real-system';
import { MANUAL_TARGET, errorFor, type Step } from './steps';

/** How much of the real system's history predates the model. */
export interface Offsets {
  readonly calls: number;
  readonly events: number;
  readonly transitions: number;
  /** `state$` emissions before the model's initial state. */
  readonly states: number;
  readonly reports: number;
}

export const NO_OFFSETS: Offsets = { calls: 0, events: 0, transitions: 0, states: 0, reports: 0 };

/** The offsets that make a model created now, in the breaker's current state, line up with `r`. */
export function offsetsNow(r: RealSystem): Offsets {
  return {
    calls: r.calls.length,
    events: r.events.length,
    transitions: r.transitions.length,
    states: r.states.length - 1,
    reports: r.reports.length,
  };
}

/** Checks that the real breaker says exactly what the model predicts. */
export function agree(m: ReferenceModel, r: RealSystem, o: Offsets = NO_OFFSETS): void {
  expect(r.clock.time).toBe(m.raw);
  expect(r.breaker.state).toBe(m.state);
  expect(r.breaker.info()).toEqual(m.info());
  expect(r.breaker.toJSON()).toEqual(m.toJSON());
  if (r.options.reports === true) expect(r.reports.slice(o.reports)).toEqual(m.reports);
  expect(r.clock.dueTimes()).toEqual(m.probe === undefined ? [] : [m.probe.due]);
  expect(r.transitions.slice(o.transitions)).toEqual(m.transitions);
  expect(r.states.slice(o.states)).toEqual(m.states);
  expect(r.events.slice(o.events)).toEqual(m.events);
  const calls = r.calls.slice(o.calls);
  expect(calls.map((c) => c.notes)).toEqual(m.calls.map((c) => c.notes));
  expect(calls.map((c) => !c.subscription.closed)).toEqual(m.calls.map((c) => c.active));
  expect([...r.eventNames]).toEqual([m.name].slice(0, r.eventNames.size));
}

/** Applies `step` to both; a step on a call does nothing when no call is active. */
export function applyStep(
  m: ReferenceModel,
  r: RealSystem,
  step: Step,
  o: Offsets = NO_OFFSETS,
): void {
  m.beginStep();
  r.beginStep();
  act(m, r, step, o);
}

function act(m: ReferenceModel, r: RealSystem, step: Step, o: Offsets): void {
  switch (step.t) {
    case 'start':
      m.start(step.options);
      r.start(step.options);
      return;
    case 'advance':
      m.advance(step.ms);
      r.clock.advance(step.ms);
      return;
    case 'manual':
      m.command(MANUAL_TARGET[step.command]);
      r.breaker[step.command]();
      return;
    case 'openFor':
      m.openFor(step.ms);
      r.breaker.openFor(step.ms);
      return;
    case 'execute': {
      const reason = `aborted #${m.calls.length}`;
      m.execute(step.preAborted, reason);
      r.execute(step.preAborted, reason);
      return;
    }
    case 'restore': {
      const initialState: unknown = JSON.parse(JSON.stringify(r.breaker));
      m.restore();
      r.restore({
        ...buildConfig(m.spec),
        name: m.name,
        initialState: initialState as never,
      });
      return;
    }
    case 'dispose':
      m.dispose();
      r.breaker.dispose();
      return;
    case 'watch':
      m.watchEvents();
      r.watchEvents();
      return;
    case 'clock':
      m.mode = step.mode;
      r.clock.mode = step.mode;
      return;
    case 'glitch': {
      const mode = m.mode;
      m.mode = step.mode;
      r.clock.mode = step.mode;
      act(m, r, step.step, o);
      m.mode = mode;
      r.clock.mode = mode;
      return;
    }
    case 'stepBack': {
      const back = Math.min(step.ms, m.raw);
      m.stepBack(back);
      r.clock.set(r.clock.time - back);
      return;
    }
  }
  const active = m.activeCalls();
  if (active.length === 0) return;
  const mc = active[step.k % active.length]!;
  const rc = r.calls[o.calls + m.calls.indexOf(mc)]!;
  if (step.t === 'complete') {
    m.complete(mc);
    rc.source.complete();
  } else if (step.t === 'fail') {
    const error = errorFor(step, m.events.length);
    m.fail(mc, error);
    rc.source.error(error);
  } else if (step.t === 'cancel') {
    m.cancel(mc);
    rc.cancel();
  } else {
    const value = `v${m.events.length}`;
    m.next(mc, value);
    rc.source.next(value);
  }
}
