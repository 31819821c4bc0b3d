/**
 * The webhook URL and the bot token are secrets: no error, no log line and no message the
 * integration produces may contain them. Each error path runs for real (a loopback stand-in for
 * Slack that fails in every way it can, a refused port, a hang), and everything that comes out,
 * down to the causes of the errors and what `console.error` printed, is scanned.
 */
import { inspect } from 'node:util';
import { LogLevel, WebClient } from '@slack/web-api';
import { CircuitBreaker, trippers } from 'rxjs-fluxgate';
import { slackListener, type SlackListenerOptions } from '../../src/slack';
import { closedPort, startLoopbackServer } from '../helpers/loopback-server';
import { boom, breakerWith, decode, json } from './helpers';

const TOKEN = 'xoxb-1111-2222-TOKENsecretTOKEN';
const HOOK_SECRET = 'HOOKsecretHOOKsecret24ch';
const HOOK_PATH = `/services/T0TEAM/B0HOOK/${HOOK_SECRET}`;

/** Everything a value shows when printed, messages, causes and own fields included. */
const printed = (value: unknown): string => inspect(value, { depth: 12, breakLength: Infinity });

function expectNoSecret(things: readonly unknown[]): void {
  expect(things.length).toBeGreaterThan(0);
  for (const thing of things) {
    const text = printed(thing);
    for (const secret of [TOKEN, HOOK_SECRET, HOOK_PATH, 'TOKENsecret', 'B0HOOK']) {
      expect(text).not.toContain(secret);
    }
  }
}

test('option errors never echo the webhook URL', () => {
  const errors: unknown[] = [];
  const urls = [
    `hooks.slack.com${HOOK_PATH}`, // no scheme
    `https://hooks.slack.com ${HOOK_PATH}`, // a space
    `ftp://hooks.slack.com${HOOK_PATH}`, // not HTTP
    `https://${HOOK_SECRET}:pw@[bad${HOOK_PATH}`,
  ];
  for (const webhookUrl of urls) {
    try {
      slackListener({ webhookUrl });
    } catch (error) {
      errors.push(error);
    }
  }
  expect(errors).toHaveLength(urls.length);
  expect(errors.every((e) => e instanceof TypeError)).toBe(true);
  expect((errors[0] as Error).message).toMatch(/webhookUrl.*expected an absolute http\(s\) URL/);
  expect((errors[2] as Error).message).toMatch(/"ftp:"/);
  // Extra keys are named, never their values.
  try {
    slackListener({ webhookUrl: `https://h.example${HOOK_PATH}`, token: TOKEN } as never);
  } catch (error) {
    errors.push(error);
  }
  expect(errors).toHaveLength(urls.length + 1);
  expectNoSecret(errors);
});

test('WebClient failures: errors, their causes and console.error carry no token', async () => {
  const hung: { destroy(): void }[] = [];
  const plan = [
    (res: never) => json(res, 500, { ok: false, error: `internal ${TOKEN}` }),
    (res: never) => json(res, 200, { ok: false, error: `not_authed for ${TOKEN}`, token: TOKEN }),
    (res: { destroy(): void }) => hung.push(res),
    (res: { setHeader(k: string, v: string): void }) => {
      res.setHeader('Retry-After', '30');
      json(res as never, 429, { ok: false, error: 'ratelimited' });
    },
  ];
  const server = await startLoopbackServer((_req, res) => plan.shift()!(res as never));
  const port = await closedPort();
  const errorLog = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const warnLog = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    const client = (url: string) =>
      new WebClient(TOKEN, {
        slackApiUrl: url,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: 1000,
        logLevel: LogLevel.WARN,
      });
    const slack = slackListener({
      client: client(`${server.url}/api/`),
      channel: 'C1',
      timeout: 5000,
    });
    const refused = slackListener({
      client: client(`http://127.0.0.1:${port}/api/`),
      channel: 'C1',
    });
    const { breaker, faults, settled } = breakerWith(slack);
    await expect(breaker.call(boom)).rejects.toThrow(); // 500
    breaker.reset(); // ok: false
    breaker.forceOpen(); // hangs: WebClient's own timeout ends it
    breaker.reset(); // 429
    await settled();
    expect(faults).toHaveLength(4);
    // A breaker with the default onError: what it prints is scanned too.
    const quiet = new CircuitBreaker({
      name: 'console_path',
      tripper: trippers.failureStreak(1),
      listeners: [refused],
    });
    await expect(quiet.call(boom)).rejects.toThrow();
    for (let i = 0; i < 100 && errorLog.mock.calls.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(errorLog.mock.calls.length).toBeGreaterThan(0);
    expectNoSecret([
      ...faults.map((f) => f.error),
      ...faults.map((f) => (f.error as Error).message),
      ...errorLog.mock.calls,
      ...warnLog.mock.calls,
    ]);
    // The errors still say what went wrong.
    expect(faults.map((f) => (f.error as Error).message)).toEqual([
      expect.stringMatching(/"closed -> open".*HTTP protocol error.*500/),
      expect.stringMatching(/"open -> closed".*not_authed for \[redacted\]$/),
      // WebClient gives up at its own timeout: its error's cause held the request's headers.
      expect.stringMatching(/"closed -> forced_open".*A request error occurred/),
      expect.stringMatching(/"forced_open -> closed".*rate/i),
    ]);
    // Nor does any message sent to Slack.
    expectNoSecret(server.requests.map((r) => decode(r)));
  } finally {
    for (const res of hung) res.destroy();
    errorLog.mockRestore();
    warnLog.mockRestore();
    await server.close();
  }
});

test('webhook failures: no error nor its cause shows the webhook path, even when Slack echoes it', async () => {
  const statuses = [500, 404, 0];
  const server = await startLoopbackServer((req, res) => {
    const status = statuses.shift() ?? 200;
    if (status === 0) return; // hangs
    res.statusCode = status;
    res.end(`no_service for ${req.url} at http://${req.headers.host}${req.url}`);
  });
  const port = await closedPort();
  try {
    const options = (base: string): SlackListenerOptions => ({
      webhookUrl: `${base}${HOOK_PATH}?x=${HOOK_SECRET}`,
      timeout: 1000,
    });
    const { breaker, faults, settled } = breakerWith(slackListener(options(server.url)));
    await expect(breaker.call(boom)).rejects.toThrow(); // 500 with the path echoed
    breaker.reset(); // 404 with the path echoed
    breaker.forceOpen(); // hangs
    const refused = breakerWith(slackListener(options(`http://127.0.0.1:${port}`)));
    await expect(refused.breaker.call(boom)).rejects.toThrow();
    await settled();
    await refused.settled();
    const errors = [...faults, ...refused.faults].map((f) => f.error);
    expect(errors).toHaveLength(4);
    expectNoSecret(errors);
    expect((errors[0] as Error).message).toMatch(/HTTP 500: no_service for \[redacted\]/);
    expect((errors[2] as Error).message).toMatch(/no answer within 1000 ms/);
  } finally {
    await server.close();
  }
});
