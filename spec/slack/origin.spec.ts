/**
 * SPEC 7.2: with a store shared between processes, every process emits each transition, `local`
 * in the one that made it and `remote` in the others. The Slack listener posts only `local` ones,
 * so each transition reaches the channel once for the whole fleet.
 */
import { slackListener } from '../../src/slack';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server';
import { clientFor, decode, json, transition } from './helpers';

let server: LoopbackServer;
beforeEach(async () => {
  let n = 0;
  server = await startLoopbackServer((_req, res) => json(res, 200, { ok: true, ts: `1.${++n}` }));
});
afterEach(() => server.close());

test('a remote transition is not posted: its promise resolves and nothing is queued', async () => {
  const slack = slackListener({ client: clientFor(server), channel: 'C1' });
  const remote = slack(transition('pay', { origin: 'remote' }));
  expect(remote).toBeInstanceOf(Promise);
  await expect(remote).resolves.toBeUndefined();
  await slack(transition('pay', { from: 'open', to: 'half_open' }));
  expect(server.requests.map((r) => decode(r).text)).toEqual([
    '🔄 Circuit breaker probing: pay (open -> half_open)',
  ]);
});

test('remote transitions are skipped even while the queue is busy, and with a webhook', async () => {
  const webhook = slackListener({ webhookUrl: `${server.url}/hook` });
  const outcomes = [
    webhook(transition('a')),
    webhook(transition('b', { origin: 'remote' })),
    webhook(transition('c')),
  ];
  await Promise.all(outcomes);
  expect(server.requests.map((r) => /: (\w) \(/.exec(decode(r).text ?? '')?.[1])).toEqual([
    'a',
    'c',
  ]);
});

test('a remote recovery still ends the local thread, so the next local alert starts a new one', async () => {
  const slack = slackListener({ client: clientFor(server), channel: 'C1' });
  await slack(transition('pay')); // local: starts thread 1.1
  await slack(transition('pay', { from: 'open', to: 'half_open', origin: 'remote' }));
  await slack(transition('pay', { from: 'half_open', to: 'closed', origin: 'remote' }));
  await slack(transition('pay')); // local: a new alert, a new thread
  await slack(transition('pay', { from: 'open', to: 'half_open' })); // in the new thread
  expect(server.requests.map((r) => decode(r).thread_ts)).toEqual([undefined, undefined, '1.2']);
});

test('called with something that is not a transition, the listener rejects and never throws', async () => {
  const slack = slackListener({ client: clientFor(server), channel: 'C1' });
  for (const bad of [null, undefined, 'closed->open']) {
    let p: void | Promise<void> = undefined;
    expect(() => (p = slack(bad as never))).not.toThrow();
    await expect(p).rejects.toThrow(/slackListener: expected a transition, got/);
  }
  expect(server.requests).toHaveLength(0);
});
