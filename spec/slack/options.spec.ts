/**
 * slackListener's options go through the shared checker: a clear TypeError or RangeError that
 * names the option and the value received, and unknown keys are errors.
 */
import { WebClient } from '@slack/web-api';
import { slackListener, type SlackListenerOptions } from '../../src/slack';

const client = new WebClient('xoxb-test');
const bad = (o: unknown) => () => slackListener(o as SlackListenerOptions);

test('bad options are errors that name the option', () => {
  expect(bad({ channel: 'C1' })).toThrow(/exactly one of client and webhookUrl/);
  expect(bad({ client, webhookUrl: 'http://x/', channel: 'C1' })).toThrow(/exactly one/);
  expect(bad({ client })).toThrow(/channel/);
  expect(bad({ webhookUrl: 'not a url' })).toThrow(
    /webhookUrl.*expected an absolute http\(s\) URL/,
  );
  expect(bad({ webhookUrl: 'http://x/', timeout: 0 })).toThrow(RangeError);
  expect(bad({ webhookUrl: 'http://x/', templates: { open: {} } })).toThrow(
    /unknown option "open" \(expected closed->open, closed->half_open, .* or fallback\)/,
  );
  expect(bad({ webhookUrl: 'http://x/', token: 'x' })).toThrow(/unknown option "token"/);
});

test('the messages follow the shared checker: where, the rule and the value received', () => {
  expect(bad(undefined)).toThrow(
    new TypeError('slackListener(options): expected an options object, got undefined'),
  );
  expect(bad([])).toThrow(/slackListener\(options\): expected an options object, got an array/);
  expect(bad({ webhookUrl: 'http://x/', chanel: 'C1' })).toThrow(
    new TypeError(
      'slackListener(options): unknown option "chanel" (expected client, channel, webhookUrl, name, templates or timeout)',
    ),
  );
  expect(bad({ client, channel: 42 })).toThrow(
    new TypeError('slackListener({ channel }): expected a non-empty string, got 42'),
  );
  expect(bad({ client: { chat: {} }, channel: 'C1' })).toThrow(
    /slackListener\(\{ client \}\): expected a Slack client \(an object with chat\.postMessage\(\)\), got an object/,
  );
  expect(bad({ webhookUrl: 'http://x/', name: '' })).toThrow(
    new TypeError('slackListener({ name }): expected a non-empty string, got ""'),
  );
  expect(bad({ webhookUrl: 'http://x/', timeout: -5 })).toThrow(
    new RangeError('slackListener({ timeout }): expected a finite number > 0, got -5'),
  );
  expect(bad({ webhookUrl: 'http://x/', timeout: '5000' })).toThrow(
    new TypeError('slackListener({ timeout }): expected a finite number > 0, got "5000"'),
  );
  expect(bad({ webhookUrl: 'http://x/', templates: [] })).toThrow(
    /slackListener\(\{ templates \}\): expected an options object, got an array/,
  );
});

test('template keys are real transitions or "fallback"; template fields are known strings', () => {
  const w = (templates: unknown) => bad({ webhookUrl: 'http://x/', templates });
  const unknown = (key: string) =>
    new RegExp(`^slackListener\\(\\{ templates \\}\\): unknown option "${key}" \\(expected`);
  expect(w({ 'closed->opened': {} })).toThrow(unknown('closed->opened'));
  expect(w({ 'open->open': {} })).toThrow(unknown('open->open'));
  expect(w({ Fallback: {} })).toThrow(unknown('Fallback'));
  expect(w({ 'closed->open': 'red' })).toThrow(
    new TypeError(
      'slackListener({ templates["closed->open"] }): expected an object or a function, got "red"',
    ),
  );
  expect(w({ 'closed->open': { colour: '#000000' } })).toThrow(
    /slackListener\(\{ templates\["closed->open"\] \}\): unknown option "colour" \(expected title, color or description\)/,
  );
  expect(w({ fallback: { title: 42 } })).toThrow(
    new TypeError('slackListener({ templates["fallback"].title }): expected a string, got 42'),
  );
  // Every real transition is accepted.
  const states = ['closed', 'open', 'half_open', 'metrics_only', 'disabled', 'forced_open'];
  const all: Record<string, object> = { fallback: {} };
  for (const from of states) for (const to of states) if (from !== to) all[`${from}->${to}`] = {};
  expect(w(all)).not.toThrow();
});

test('a template function that throws or gives bad fields fails its own message only', async () => {
  const posted: string[] = [];
  const slack = slackListener({
    client: {
      chat: {
        postMessage: async (m: { text: string }) => {
          posted.push(m.text);
          return { ok: true, ts: '1.1' };
        },
      },
    },
    channel: 'C1',
    templates: {
      'closed->open': (t) => {
        if (t.name === 'throws') throw new Error('template bug');
        return t.name === 'number' ? ({ title: 42 } as never) : { title: `up ${t.to}` };
      },
    },
  });
  const t = (name: string) =>
    slack({ name, from: 'closed', to: 'open', at: 0, origin: 'local' }) as Promise<void>;
  const outcomes = await Promise.allSettled([t('throws'), t('number'), t('fine')]);
  expect(
    outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'sent')),
  ).toEqual([
    `slackListener: could not post "closed -> open" of circuit breaker 'throws': template bug`,
    `slackListener: could not post "closed -> open" of circuit breaker 'number': slackListener({ templates["closed->open"](transition).title }): expected a string, got 42`,
    'sent',
  ]);
  expect(posted).toEqual(['up open: fine (closed -> open)']);
});
