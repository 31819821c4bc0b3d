/**
 * What the Slack specs share: decoding what the loopback stand-in for Slack received, answering
 * it, a WebClient pointed at it, and a breaker whose listener's deliveries a test can await.
 */
import type { ServerResponse } from 'node:http';
import { LogLevel, WebClient } from '@slack/web-api';
import {
  CircuitBreaker,
  permits,
  retries,
  trippers,
  type FaultContext,
  type Listener,
  type Transition,
} from 'rxjs-fluxgate';
import { ManualClock } from '../helpers/clock';
import type { LoopbackServer, ReceivedRequest } from '../helpers/loopback-server';

/** A chat.postMessage call (or a webhook POST) as the stand-in received it, fields decoded. */
export interface Posted {
  channel?: string;
  text?: string;
  thread_ts?: string;
  reply_broadcast?: string;
  attachments?: {
    color: string;
    blocks: {
      type: string;
      text?: { text: string };
      fields?: { text: string }[];
      elements?: { text: string }[];
    }[];
  }[];
}

/** Decodes a form-encoded (WebClient) or JSON (webhook) body. */
export function decode(request: ReceivedRequest): Posted {
  if (request.headers['content-type']?.includes('application/json')) {
    return JSON.parse(request.body) as Posted;
  }
  const form = new URLSearchParams(request.body);
  const posted: Record<string, unknown> = {};
  for (const [k, v] of form) posted[k] = k === 'attachments' ? JSON.parse(v) : v;
  return posted as Posted;
}

/** Answers with a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}

/** A WebClient pointed at `server`, with no retries and a short timeout of its own. */
export function clientFor(server: LoopbackServer, token = 'xoxb-test'): WebClient {
  return new WebClient(token, {
    slackApiUrl: `${server.url}/api/`,
    retryConfig: { retries: 0 },
    timeout: 2000,
    logLevel: LogLevel.ERROR,
  });
}

/** A breaker whose listener's deliveries the test can await, and whose onError it records. */
export function breakerWith(
  listener: Listener,
  clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5)),
  name = 'payment_api',
) {
  const deliveries: Promise<void>[] = [];
  const faults: { error: unknown; context: FaultContext }[] = [];
  const breaker = new CircuitBreaker({
    name,
    scheduler: clock,
    tripper: trippers.failureStreak(1),
    retry: retries.cooldown(1000),
    permit: permits.all(),
    maxHalfOpenCalls: 1,
    listeners: [
      (t) => {
        const p = listener(t);
        if (p) deliveries.push(p);
        return p;
      },
    ],
    onError: (error, context) => faults.push({ error, context }),
  });
  const settled = () => Promise.allSettled(deliveries);
  return { breaker, clock, faults, settled };
}

/** A call that fails. */
export const boom = async (): Promise<never> => {
  throw new Error('backend down');
};

/** A call that succeeds. */
export const ok = async (): Promise<string> => 'fine';

/** A transition as a breaker would hand it to a listener. */
export function transition(name: string, overrides: Partial<Transition> = {}): Transition {
  return { name, from: 'closed', to: 'open', at: 0, origin: 'local', ...overrides };
}

/** The promise's outcome as a value: `'sent'` or the rejection's message. */
export function outcome(p: void | Promise<void>): Promise<string> {
  return Promise.resolve(p).then(
    () => 'sent',
    (e: unknown) => (e instanceof Error ? e.message : `non-Error: ${String(e)}`),
  );
}

/**
 * Records the process's unhandled rejections while a test runs (`stop()` detaches and returns
 * them), so a test can assert that nothing the integration runs leaves one behind.
 */
export function watchUnhandledRejections(): { stop(): unknown[] } {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', onRejection);
  return {
    stop: () => {
      process.off('unhandledRejection', onRejection);
      return seen;
    },
  };
}
