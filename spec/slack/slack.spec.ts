/**
 * rxjs-fluxgate/slack with the real @slack/web-api WebClient (and the global fetch for webhooks),
 * both talking to a Node HTTP server on 127.0.0.1 that stands in for Slack.
 */
import type { ServerResponse } from 'node:http';
import { LogLevel, WebClient } from '@slack/web-api';
import { CircuitBreaker, trippers, type Transition } from 'rxjs-fluxgate';
import { slackListener } from '../../src/slack';
import { ManualClock } from '../helpers/clock';
import {
  closedPort,
  startLoopbackServer,
  type LoopbackServer,
  type ReceivedRequest,
} from '../helpers/loopback-server';
import { boom, breakerWith, clientFor, decode, json, ok } from './helpers';

/** open -> half_open -> open -> half_open -> closed, in virtual time. */
async function tripProbeAndRecover(breaker: CircuitBreaker, clock: ManualClock): Promise<void> {
  await expect(breaker.call(boom)).rejects.toThrow('backend down'); // closed -> open
  clock.advance(1000);
  await expect(breaker.call(boom)).rejects.toThrow('backend down'); // -> half_open -> open
  clock.advance(1000);
  await expect(breaker.call(ok)).resolves.toBe('fine'); // -> half_open -> closed
}

describe('slackListener with a WebClient', () => {
  let server: LoopbackServer;
  let nextTs = 0;
  let answer: (req: ReceivedRequest, res: ServerResponse) => void;

  beforeEach(async () => {
    nextTs = 0;
    answer = (_req, res) => json(res, 200, { ok: true, ts: `1767323045.00000${++nextTs}` });
    server = await startLoopbackServer((req, res) => answer(req, res));
  });
  afterEach(() => server.close());

  test('threads per breaker: open starts one, replies follow, closed broadcasts and ends it', async () => {
    const { breaker, clock, faults, settled } = breakerWith(
      slackListener({ client: clientFor(server), channel: 'C0ALERTS', name: 'checkout (prod)' }),
    );
    await tripProbeAndRecover(breaker, clock);
    clock.advance(5000);
    await expect(breaker.call(boom)).rejects.toThrow(); // closed -> open again: a new thread
    await settled();
    expect(faults).toEqual([]);

    const posted = server.requests.map(decode);
    expect(server.requests.every((r) => r.url === '/api/chat.postMessage')).toBe(true);
    expect(posted.map((p) => p.channel)).toEqual(Array(6).fill('C0ALERTS'));
    const first = '1767323045.000001';
    expect(posted.map((p) => p.thread_ts)).toEqual([
      undefined, // closed -> open starts the thread
      first, // open -> half_open
      first, // half_open -> open: a reply, not a new thread
      first, // open -> half_open
      first, // half_open -> closed, broadcast, ends the thread
      undefined, // closed -> open: a new thread
    ]);
    expect(posted.map((p) => p.reply_broadcast)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'true',
      undefined,
    ]);
    expect(posted.map((p) => p.attachments?.[0]?.color)).toEqual([
      '#E01E5A', // red: opened
      '#ECB22E', // amber: probing
      '#E01E5A',
      '#ECB22E',
      '#2EB67D', // green: recovered
      '#E01E5A',
    ]);
    const blocks = posted[0]!.attachments![0]!.blocks;
    const text = JSON.stringify(blocks);
    expect(blocks[0]!.text!.text).toMatch(/^\*🚨 Circuit breaker opened\*\n.+/);
    expect(text).toContain('`payment_api`');
    expect(text).toContain('`closed` → `open`');
    expect(text).toContain('2026-01-02T03:04:05.000Z');
    expect(text).toContain('checkout (prod)');
    expect(posted[0]!.text).toBe('🚨 Circuit breaker opened: payment_api (closed -> open)');
  });

  test('disabled and metrics_only end the thread; forced_open replies but starts none', async () => {
    const { breaker, settled } = breakerWith(
      slackListener({ client: clientFor(server), channel: 'C1' }),
    );
    breaker.forceOpen(); // closed -> forced_open: no thread open, top level, starts none
    breaker.reset(); // forced_open -> closed
    await expect(breaker.call(boom)).rejects.toThrow(); // closed -> open: thread A
    breaker.disable(); // reply in A, ends it
    breaker.reset(); // disabled -> closed: top level
    await expect(breaker.call(boom)).rejects.toThrow(); // thread B
    breaker.forceOpen(); // reply in B (the thread stays)
    breaker.metricsOnly(); // reply in B, ends it
    breaker.reset(); // top level
    await settled();
    const threads = server.requests.map(decode).map((p) => p.thread_ts);
    expect(threads).toEqual([
      undefined,
      undefined,
      undefined,
      '1767323045.000003',
      undefined,
      undefined,
      '1767323045.000006',
      '1767323045.000006',
      undefined,
    ]);
  });

  test('one listener shared by two breakers keeps a thread for each', async () => {
    const slack = slackListener({ client: clientFor(server), channel: 'C1' });
    const a = breakerWith(slack);
    const other = new CircuitBreaker({
      name: 'search_api',
      tripper: trippers.failureStreak(1),
      listeners: [slack],
    });
    await expect(a.breaker.call(boom)).rejects.toThrow(); // payment_api opens: ts 1
    await expect(other.call(boom)).rejects.toThrow(); // search_api opens: ts 2
    other.reset(); // replies in search_api's thread
    a.breaker.reset(); // replies in payment_api's thread
    // Messages go out in order, so once a last one is delivered, all four are.
    await slack({ name: 'x', from: 'closed', to: 'disabled', at: 0, origin: 'local' });
    const posted = server.requests.map(decode);
    expect(posted.slice(0, 4).map((p) => [p.text?.split(': ')[1], p.thread_ts])).toEqual([
      ['payment_api (closed -> open)', undefined],
      ['search_api (closed -> open)', undefined],
      ['search_api (open -> closed)', '1767323045.000002'],
      ['payment_api (open -> closed)', '1767323045.000001'],
    ]);
  });

  test('a burst of transitions goes out in order, one message at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let n = 0;
    answer = (_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Earlier messages answer later: sending in parallel would reorder them.
      setTimeout(
        () => {
          inFlight--;
          json(res, 200, { ok: true, ts: `1.${++n}` });
        },
        Math.max(0, 20 - n * 2),
      );
    };
    const { breaker, settled } = breakerWith(
      slackListener({ client: clientFor(server), channel: 'C1' }),
    );
    const expected: string[] = [];
    const commands = [
      () => breaker.forceOpen(),
      () => breaker.reset(),
      () => breaker.disable(),
      () => breaker.metricsOnly(),
      () => breaker.forceOpen(),
      () => breaker.reset(),
    ];
    const seen: Transition[] = [];
    breaker.transitions$.subscribe((t) => seen.push(t));
    for (let round = 0; round < 3; round++) for (const command of commands) command();
    for (const t of seen) expected.push(`(${t.from} -> ${t.to})`);
    await settled();
    expect(seen).toHaveLength(18);
    expect(server.requests.map((r) => /\(\w+ -> \w+\)$/.exec(decode(r).text ?? '')?.[0])).toEqual(
      expected,
    );
    expect(maxInFlight).toBe(1);
  });

  test('500, ok: false, a hanging server and a refused connection reach onError; calls are untouched', async () => {
    const hang: ServerResponse[] = [];
    const plan: ((res: ServerResponse) => void)[] = [
      (res) => json(res, 500, { ok: false }),
      (res) => json(res, 200, { ok: false, error: 'channel_not_found' }),
      (res) => hang.push(res), // never answered
      (res) => json(res, 200, { ok: true, ts: '9.1' }),
    ];
    answer = (_req, res) => plan.shift()!(res);
    const { breaker, faults, settled } = breakerWith(
      slackListener({ client: clientFor(server), channel: 'C1', timeout: 100, name: 'svc' }),
    );
    // Each call ends with its own outcome only: the listener never throws into it.
    await expect(breaker.call(boom)).rejects.toThrow('backend down'); // -> open: HTTP 500
    expect(() => breaker.reset()).not.toThrow(); // -> closed: ok: false
    expect(() => breaker.forceOpen()).not.toThrow(); // -> forced_open: hangs past 100 ms
    // -> closed: sent once the hung request ends (the WebClient's own 2 s timeout), not before.
    expect(() => breaker.reset()).not.toThrow();
    await settled();
    expect(faults.map((f) => f.context)).toEqual(
      Array(3).fill({ breaker: 'payment_api', source: 'listener' }),
    );
    const messages = faults.map((f) => (f.error as Error).message);
    expect(messages[0]).toMatch(/slackListener \(svc\): could not post "closed -> open".*500/);
    expect(messages[1]).toMatch(/"open -> closed".*channel_not_found/);
    expect(messages[2]).toMatch(
      /"closed -> forced_open".*no answer within 100 ms \(the request goes on; the next message waits for it up to 30000 ms\)/,
    );
    expect(server.requests).toHaveLength(4);
    expect(decode(server.requests[3]!).text).toContain('(forced_open -> closed)');
    for (const res of hang) res.destroy();

    // A refused connection.
    const port = await closedPort();
    const refused = new WebClient('xoxb-test', {
      slackApiUrl: `http://127.0.0.1:${port}/api/`,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
    const r = breakerWith(slackListener({ client: refused, channel: 'C1' }));
    await expect(r.breaker.call(boom)).rejects.toThrow('backend down');
    await r.settled();
    expect(r.faults).toHaveLength(1);
    expect((r.faults[0]!.error as Error).message).toMatch(/could not post "closed -> open"/);
  });

  test('a 429 with the default retry policy: the next message waits for the retry, then replies in its thread', async () => {
    let first = true;
    let inFlight = 0;
    let maxInFlight = 0;
    answer = (_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (first) {
        first = false;
        inFlight--;
        res.setHeader('Retry-After', '1');
        json(res, 429, { ok: false, error: 'ratelimited' });
        return;
      }
      inFlight--;
      json(res, 200, { ok: true, ts: `1767323045.00000${++nextTs}` });
    };
    // WebClient's own retry policy (ten retries in about 30 minutes, waits out 429s): the request
    // goes on after the listener's timeout.
    const client = new WebClient('xoxb-test', {
      slackApiUrl: `${server.url}/api/`,
      logLevel: LogLevel.ERROR,
    });
    const timeout = 500;
    const { breaker, faults, settled } = breakerWith(
      slackListener({ client, channel: 'C1', timeout }),
    );
    await expect(breaker.call(boom)).rejects.toThrow(); // closed -> open: 429, retried later
    breaker.reset(); // open -> closed: must wait for the retried alert
    await settled();
    // The alert's promise rejected at the timeout, so onError heard of it.
    expect(faults).toHaveLength(1);
    expect((faults[0]!.error as Error).message).toMatch(
      /"closed -> open".*no answer within 500 ms/,
    );
    // The recovery's promise settles once it is delivered, which is after the retried alert.
    const posted = server.requests.map(decode);
    expect(posted.map((p) => /\((\w+ -> \w+)\)$/.exec(p.text ?? '')?.[1])).toEqual([
      'closed -> open', // answered 429
      'closed -> open', // WebClient's retry, answered with ts 1
      'open -> closed',
    ]);
    // The late answer's ts was kept: the recovery replies in the alert's thread.
    expect(posted[2]!.thread_ts).toBe('1767323045.000001');
    expect(posted[2]!.reply_broadcast).toBe('true');
    expect(maxInFlight).toBe(1);
  });

  test('while Slack hangs, at most 50 messages wait: the oldest are dropped and reported', async () => {
    let arrived!: (res: ServerResponse) => void;
    const hung = new Promise<ServerResponse>((resolve) => (arrived = resolve));
    answer = (_req, res) => {
      if (server.requests.length === 1)
        arrived(res); // the first one is left unanswered
      else json(res, 200, { ok: true, ts: `1.${++nextTs}` });
    };
    const slack = slackListener({ client: clientFor(server), channel: 'C1', timeout: 1000 });
    const t = (i: number): Transition => ({
      name: `b${i}`,
      from: 'closed',
      to: 'open',
      at: 0,
      origin: 'local',
    });
    // Message 0 is sent (and hangs); 1..60 wait: 50 fit, so 1..10 are dropped.
    const outcomes = Array.from({ length: 61 }, (_, i) => slack(t(i)) as Promise<void>).map((p) =>
      p.then(
        () => 'sent',
        (e: Error) => e.message,
      ),
    );
    const dropped = await Promise.all(outcomes.slice(1, 11));
    expect(dropped[0]).toBe(
      `slackListener: dropped "closed -> open" of circuit breaker 'b1': 50 messages were already waiting (Slack is slow or down); 1 message dropped so far`,
    );
    expect(dropped[9]).toMatch(/'b10'.*; 10 messages dropped so far$/);
    json(await hung, 200, { ok: true, ts: '1.0' });
    expect(await Promise.all(outcomes.slice(11))).toEqual(Array(50).fill('sent'));
    expect(await outcomes[0]).toBe('sent');
    const names = server.requests.map((r) => /: (b\d+) \(/.exec(decode(r).text ?? '')?.[1]);
    expect(names).toEqual(['b0', ...Array.from({ length: 50 }, (_, i) => `b${i + 11}`)]);
  });

  test('templates override per transition, with a fallback for the others', async () => {
    const slack = slackListener({
      client: clientFor(server),
      channel: 'C1',
      templates: {
        'closed->open': { title: 'Payments down', color: '#000000' },
        fallback: (t) => ({ title: `now ${t.to}`, description: `was ${t.from}` }),
      },
    });
    const { breaker, clock, settled } = breakerWith(slack);
    await tripProbeAndRecover(breaker, clock); // open, half_open, open, half_open, closed
    breaker.disable(); // closed -> disabled: no built-in template, so the fallback
    await settled();
    const posted = server.requests.map(decode);
    const first = posted[0]!.attachments![0]!;
    expect(first.color).toBe('#000000');
    expect(first.blocks[0]!.text!.text).toMatch(/^\*Payments down\*\nCalls are failing/);
    // A transition with a built-in template keeps it: the fallback does not replace it.
    expect(posted[1]!.attachments![0]!.blocks[0]!.text!.text).toContain('probing');
    const last = posted[5]!.attachments![0]!;
    expect(last.blocks[0]!.text!.text).toBe('*now disabled*\nwas closed');
    expect(last.color).toBe('#9E9E9E'); // the built-in colour of disabled, not overridden
  });
});

describe('slackListener with an incoming webhook', () => {
  test('posts JSON with the global fetch, no threads; errors reach onError', async () => {
    const statuses = [200, 200, 500, 200];
    const server = await startLoopbackServer((_req, res) => {
      res.statusCode = statuses.shift() ?? 200;
      res.end(res.statusCode === 200 ? 'ok' : 'invalid_payload');
    });
    try {
      const { breaker, clock, faults, settled } = breakerWith(
        slackListener({ webhookUrl: `${server.url}/services/T0/B0/xyz` }),
      );
      await expect(breaker.call(boom)).rejects.toThrow(); // -> open
      clock.advance(1000);
      await expect(breaker.call(boom)).rejects.toThrow(); // -> half_open (200), -> open (500)
      clock.advance(1000);
      await expect(breaker.call(ok)).resolves.toBe('fine'); // -> half_open, -> closed
      await settled();
      expect(server.requests).toHaveLength(5);
      for (const r of server.requests) {
        expect(r.method).toBe('POST');
        expect(r.url).toBe('/services/T0/B0/xyz');
        expect(r.headers['content-type']).toBe('application/json');
      }
      const posted = server.requests.map(decode);
      expect(posted.every((p) => p.thread_ts === undefined && p.channel === undefined)).toBe(true);
      expect(posted.map((p) => p.attachments?.[0]?.color)).toEqual([
        '#E01E5A',
        '#ECB22E',
        '#E01E5A',
        '#ECB22E',
        '#2EB67D',
      ]);
      expect(faults).toHaveLength(1);
      expect((faults[0]!.error as Error).message).toMatch(
        /"half_open -> open".*HTTP 500: invalid_payload/,
      );
    } finally {
      await server.close();
    }
  });

  test('a hanging webhook times out and a refused one fails, both through onError', async () => {
    const server = await startLoopbackServer(() => undefined); // never answers
    const port = await closedPort();
    try {
      const hung = breakerWith(slackListener({ webhookUrl: server.url, timeout: 50 }));
      const refused = breakerWith(slackListener({ webhookUrl: `http://127.0.0.1:${port}/` }));
      await expect(hung.breaker.call(boom)).rejects.toThrow('backend down');
      await expect(refused.breaker.call(boom)).rejects.toThrow('backend down');
      await hung.settled();
      await refused.settled();
      expect((hung.faults[0]?.error as Error).message).toMatch(/no answer within 50 ms/);
      expect(refused.faults).toHaveLength(1);
      expect(refused.faults[0]!.context.source).toBe('listener');
    } finally {
      await server.close();
    }
  });
});

describe('slackListener while Slack never answers', () => {
  // A stand-in client whose requests never settle, under Jest's fake timers: a real WebClient
  // cannot be held unanswered for minutes of virtual time (its timers and sockets are real).
  afterEach(() => jest.useRealTimers());

  test('after the queue gives up on one request, later messages wait only `timeout` each', async () => {
    jest.useFakeTimers();
    const sent: string[] = [];
    const client = {
      chat: {
        postMessage: (m: { text: string }) => {
          sent.push(m.text);
          return new Promise<never>(() => undefined);
        },
      },
    };
    const slack = slackListener({ client, channel: 'C1', timeout: 100 });
    const t = (i: number): Transition => ({
      name: `b${i}`,
      from: 'closed',
      to: 'open',
      at: 0,
      origin: 'local',
    });
    const outcomes = [0, 1, 2, 3].map((i) => (slack(t(i)) as Promise<void>).catch((e) => e));
    expect(sent).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(30_000); // the limit: 12 x timeout, at least 30 s
    expect(sent).toHaveLength(2);
    // Slack is down: the queue does not hold each message for the hard limit again.
    await jest.advanceTimersByTimeAsync(100);
    expect(sent).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(100);
    expect(sent).toHaveLength(4);
    await jest.advanceTimersByTimeAsync(100); // the last message's timeout
    const errors = (await Promise.all(outcomes)) as Error[];
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/"closed -> open" of circuit breaker 'b0': no answer within 100 ms/),
      expect.stringMatching(
        /'b1'.*no answer within 100 ms \(.* up to 100 ms\); the request of .*'b0' still had no answer after 30000 ms/,
      ),
      expect.stringMatching(/'b2': no answer within 100 ms/),
      expect.stringMatching(/'b3': no answer within 100 ms/),
    ]);
  });
});
