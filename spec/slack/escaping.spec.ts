/**
 * Breaker names come from outside input (origins, routes, tenants), so the listener renders them
 * inert wherever Slack parses mrkdwn: the message's `text` and its blocks, through the real
 * WebClient and through a webhook, both talking to a loopback stand-in for Slack.
 */
import { slackListener, escapeMrkdwn } from '../../src/slack';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server';
import { clientFor, decode, json, transition, type Posted } from './helpers';

/** Every mrkdwn string of a posted message: `text` and each block's texts. */
function mrkdwnOf(posted: Posted): string[] {
  const blocks = posted.attachments?.[0]?.blocks ?? [];
  return [
    posted.text ?? '',
    ...blocks.flatMap((b) => [
      ...(b.text ? [b.text.text] : []),
      ...(b.fields ?? []).map((f) => f.text),
      ...(b.elements ?? []).map((e) => e.text),
    ]),
  ];
}

/** The Breaker field of a posted message. */
const breakerField = (posted: Posted): string =>
  posted.attachments![0]!.blocks[1]!.fields![0]!.text;

/** The name as the `text` line shows it: between the title's `: ` and ` (from -> to)`. */
const nameInText = (posted: Posted): string =>
  /^[^:]+: (.*) \(\w+ -> \w+\)$/s.exec(posted.text!)![1]!;

const HOSTILE = [
  '<!channel>',
  '<!here|here> <@U0123>',
  '<https://evil.example|Reset the breaker>',
  'a & b &amp; c',
  'x`*bold in code*`y',
  '*bold* _italic_ ~struck~ `code`',
  'line one\n> a quote\r\n```block```',
  'payment_api',
];

let server: LoopbackServer;
beforeEach(async () => {
  let n = 0;
  server = await startLoopbackServer((_req, res) => json(res, 200, { ok: true, ts: `1.${++n}` }));
});
afterEach(() => server.close());

async function postAll(names: readonly string[], webhook = false): Promise<Posted[]> {
  const slack = webhook
    ? slackListener({ webhookUrl: `${server.url}/services/T0/B0/x` })
    : slackListener({ client: clientFor(server), channel: 'C1', name: 'svc <!channel>' });
  await Promise.all(names.map((name) => slack(transition(name))));
  return server.requests.map(decode);
}

test.each([
  ['a WebClient', false],
  ['a webhook', true],
])('with %s: no name can mention, link or format anything', async (_, webhook) => {
  const posted = await postAll(HOSTILE, webhook);
  expect(posted).toHaveLength(HOSTILE.length);
  for (const message of posted) {
    for (const text of mrkdwnOf(message).map((m) => m.replace(/ \(\w+ -> \w+\)$/, ''))) {
      // Our own date token is the only control sequence left (and the `->` of the transition,
      // stripped above, the only other `>`).
      const rest = text.replace(
        /<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[\dTZ:.-]+>/,
        '',
      );
      expect(rest).not.toMatch(/[<>]/);
      expect(rest).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    // The name is one code span, which nothing in it can close, on one line.
    expect(breakerField(message)).toMatch(/^\*Breaker\*\n`[^`\n\r]+`$/);
    // In `text`, no formatting character can open or close anything, and no line can start.
    const name = nameInText(message);
    expect(name).not.toMatch(/[\n\r`]/);
    expect(name).not.toMatch(/(^|[^A-Za-z0-9])[*_~]|[*_~]($|[^A-Za-z0-9])/);
  }
  const [channel, , link, amp, code, formatted] = posted;
  expect(channel!.text).toBe('🚨 Circuit breaker opened: &lt;!channel&gt; (closed -> open)');
  expect(breakerField(channel!)).toBe('*Breaker*\n`&lt;!channel&gt;`');
  expect(nameInText(link!)).toBe('&lt;https://evil.example|Reset the breaker&gt;');
  expect(nameInText(amp!)).toBe('a &amp; b &amp;amp; c');
  expect(breakerField(code!)).toBe('*Breaker*\n`xˋ*bold in code*ˋy`');
  expect(nameInText(formatted!)).toBe('∗bold∗ ˍitalicˍ ∼struck∼ ˋcodeˋ');
  // A plain name with a word-internal underscore is left as it is.
  expect(nameInText(posted[7]!)).toBe('payment_api');
  expect(breakerField(posted[7]!)).toBe('*Breaker*\n`payment_api`');
  if (!webhook) {
    expect(posted[0]!.attachments![0]!.blocks[2]!.elements![0]!.text).toBe('svc &lt;!channel&gt;');
  }
});

test('a long name is cut to 100 characters with an ellipsis, everywhere it is shown', async () => {
  const long = 'é'.repeat(30) + '😀'.repeat(5000); // astral characters are not split in half
  const [posted] = await postAll([long]);
  const inText = nameInText(posted!);
  expect([...inText]).toHaveLength(100);
  expect(inText.endsWith('😀…')).toBe(true);
  expect(breakerField(posted!)).toBe(`*Breaker*\n\`${inText}\``);
  expect(JSON.stringify(posted).length).toBeLessThan(2000);
  // Escaping happens after the cut: an entity is never cut in half.
  const [amps] = await postAll(['&'.repeat(500)]).then((p) => p.slice(1));
  expect(nameInText(amps!)).toBe(`${'&amp;'.repeat(99)}…`);
});

test('escapeMrkdwn makes any text inert for templates that show the name', async () => {
  expect(escapeMrkdwn('<!here> *x* & snake_case')).toBe('&lt;!here&gt; ∗x∗ &amp; snake_case');
  const slack = slackListener({
    client: clientFor(server),
    channel: 'C1',
    templates: { fallback: (t) => ({ title: `${escapeMrkdwn(t.name)} is ${t.to}` }) },
  });
  await slack(transition('<!channel>', { to: 'disabled' }));
  const [posted] = server.requests.map(decode);
  expect(posted!.attachments![0]!.blocks[0]!.text!.text).toMatch(
    /^\*&lt;!channel&gt; is disabled\*/,
  );
});
