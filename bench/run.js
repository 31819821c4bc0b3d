/**
 * `npm run bench`: the cost of a circuit breaker call, against bare RxJS and promises, opossum 10
 * and cockatiel 4, with the production stack (Prometheus, OpenTelemetry) and Angular's HttpClient,
 * and its memory. It loads the built package as `rxjs-fluxgate`, exactly as a user would (the
 * script builds its JavaScript first, `tsup --no-dts`: the same bundles as `npm run build`, without
 * the 30 s of declarations), and runs on Node 24 (bench/node24.js), as the peers require.
 *
 * Everything runs in one process, interleaved so that machine noise hits every case alike: a
 * round is SLICES slices, and each slice times one batch (BATCH operations) of every case in
 * turn, in an order rotated from round to round. A case's figure for a round is its fastest
 * slice: on a shared machine other processes only ever add time, and the fastest of a round's
 * slices is the one they disturbed least. A ratio's figure for a round is the quotient of its two
 * cases' figures in that round, and what is reported is the median over ROUNDS rounds (with the
 * range, to show the noise). Ratios are what to compare; absolute times depend on the machine
 * and its load.
 *
 * The timed part is held to a budget (BENCH_BUDGET_S, default 90 s) so that the whole run,
 * build and memory included, stays under 3 minutes on a loaded 2-core machine: after the
 * warm-up, the time of one slice is measured and the slices per round are set to what fits,
 * between 15 and BENCH_SLICES. Fewer slices make each round's median noisier, not biased.
 *
 * Prints the tables and writes them to bench/out/results.json, and as Markdown to results.md
 * beside it, for docs/performance.md (both ignored by git; the directory is
 * made if missing). Environment: BENCH_ROUNDS (default 9; the targets need at least 7),
 * BENCH_SLICES (most slices per round, default 60), BENCH_BUDGET_S, BENCH_OUT (another file to
 * write).
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BATCH, buildCases } = require('./cases');
const { measureMemory } = require('./memory');

const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 9);
const MAX_SLICES = positiveInt(process.env.BENCH_SLICES, 60);
const MIN_SLICES = Math.min(15, MAX_SLICES);
const BUDGET_MS = positiveInt(process.env.BENCH_BUDGET_S, 90) * 1000;
/** Batches each case runs, unrecorded, before the first round. */
const WARMUP_PASSES = 10;
const RESULTS = process.env.BENCH_OUT
  ? path.resolve(process.env.BENCH_OUT)
  : path.join(__dirname, 'out', 'results.json');

function positiveInt(text, fallback) {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The ratios. `cost` ratios (`max`) are ours over the reference (lower is better); `speed-up`
 * ratios (`min`) are their time over ours (higher is better). `floor` marks a ratio against a
 * floor: what no implementation of that path can go below.
 */
const RATIOS = [
  // The targets of the performance issue.
  {
    key: 'callSpeedupVsCockatielConsecutive',
    label: 'call() speed-up over cockatiel 4 execute() (ConsecutiveBreaker)',
    of: ['cockatiel execute() (ConsecutiveBreaker)', 'breaker.call(fn)'],
    min: 1.3,
  },
  {
    key: 'callSpeedupVsOpossumDefault',
    label: 'call() speed-up over opossum 10 fire() (defaults)',
    of: ['opossum fire() (defaults)', 'breaker.call(fn)'],
    min: 5,
  },
  {
    key: 'operatorVsMap',
    label: 'operator, closed: cost over of(1).pipe(map(x => x))',
    of: ['of(1).pipe(circuitBreaker(b)).subscribe()', 'of(1).pipe(map(x => x)).subscribe()'],
    max: 1.2,
  },
  {
    key: 'openCallSpeedupVsOpossum',
    label: 'refused call() speed-up over opossum refusal',
    of: ['opossum fire(), open', 'breaker.call(fn), open'],
    min: 3,
  },
  {
    key: 'openOperatorSpeedupVsOpossum',
    label: 'refused operator speed-up over opossum refusal',
    of: ['opossum fire(), open', 'of(1).pipe(circuitBreaker(b)), open'],
    min: 3,
  },
  {
    key: 'count100kVsCount100',
    label: 'windows.count(100_000) / count(100)',
    of: ['windows.count(100_000)', 'windows.count(100)'],
    max: 1.2,
  },
  {
    key: 'time600kVsTime10k',
    label: 'windows.time(600_000) / time(10_000)',
    of: ['windows.time(600_000)', 'windows.time(10_000)'],
    max: 1.2,
  },
  // The peers, more of them.
  {
    key: 'callSpeedupVsOpossumNoTimeout',
    label: 'call() speed-up over opossum (timeout: false)',
    of: ['opossum fire() (timeout: false)', 'breaker.call(fn)'],
  },
  {
    key: 'callSpeedupVsCockatielSampling',
    label: 'call() speed-up over cockatiel (SamplingBreaker)',
    of: ['cockatiel execute() (SamplingBreaker)', 'breaker.call(fn)'],
  },
  {
    key: 'openCallSpeedupVsCockatiel',
    label: 'refused call() speed-up over cockatiel refusal',
    of: ['cockatiel execute(), open', 'breaker.call(fn), open'],
  },
  // Floors: what stands under each path.
  {
    key: 'callVsBareAwait',
    label: 'call() / bare await (floor)',
    of: ['breaker.call(fn)', 'await Promise.resolve(1)'],
    floor: true,
  },
  {
    key: 'callVsOneMorePromise',
    label: 'call() / await of one more promise (floor)',
    of: ['breaker.call(fn)', 'await Promise.resolve(1).then(f) (floor: one more promise)'],
    floor: true,
  },
  {
    key: 'cockatielVsOneMorePromise',
    label: 'cockatiel execute() / await of one more promise',
    of: [
      'cockatiel execute() (ConsecutiveBreaker)',
      'await Promise.resolve(1).then(f) (floor: one more promise)',
    ],
    floor: true,
  },
  {
    key: 'clockVsCall',
    label: 'Date.now() / call() (what one clock read would add)',
    of: ['Date.now() (one clock read)', 'breaker.call(fn)'],
    floor: true,
  },
  {
    key: 'openCallVsRejectedAwait',
    label: 'refused call() / bare rejected await (floor)',
    of: ['breaker.call(fn), open', 'await Promise.reject(e), caught (floor)'],
    floor: true,
  },
  {
    key: 'openCallVsCheapRefusal',
    label: 'refused call() / stackless error + rejected await (floor)',
    of: ['breaker.call(fn), open', 'new error without stack + rejected await (floor)'],
    floor: true,
  },
  {
    key: 'opossumOpenVsCheapRefusal',
    label: 'opossum refusal / stackless error + rejected await (floor)',
    of: ['opossum fire(), open', 'new error without stack + rejected await (floor)'],
    floor: true,
  },
  {
    key: 'mapVsBareOf',
    label: 'RxJS map(x => x) / bare of(1) (what one operator costs)',
    of: ['of(1).pipe(map(x => x)).subscribe()', 'of(1).subscribe()'],
    floor: true,
  },
  {
    key: 'operatorVsBareOf',
    label: 'operator / bare of(1)',
    of: ['of(1).pipe(circuitBreaker(b)).subscribe()', 'of(1).subscribe()'],
  },
  {
    key: 'operatorWithFallbackVsMap',
    label: 'operator with fallback / map(x => x)',
    of: [
      'of(1).pipe(circuitBreaker(b, { fallback })).subscribe()',
      'of(1).pipe(map(x => x)).subscribe()',
    ],
  },
  {
    key: 'coarseClockOperatorVsMap',
    label: 'operator, coarse clock / map(x => x)',
    of: ['of(1).pipe(circuitBreaker(b)), coarse clock', 'of(1).pipe(map(x => x)).subscribe()'],
  },
  {
    key: 'coarseClockCallSpeedupVsCockatielConsecutive',
    label: 'call(), coarse clock: speed-up over cockatiel (consecutive)',
    of: ['cockatiel execute() (ConsecutiveBreaker)', 'breaker.call(fn), coarse clock'],
  },
  {
    key: 'tripperFiveVsOne',
    label: 'tripper of 5 parts / 1 part',
    of: ['tripper: 5 parts', 'tripper: 1 part'],
  },
  // The production stack and Angular.
  {
    key: 'eventsObservedVsPlain',
    label: 'operator, events$ observed (no-op) / no metrics',
    of: ['operator, events$ observed (no-op)', 'operator, no metrics'],
  },
  {
    key: 'prometheusVsPlain',
    label: 'operator + prometheusMetrics / no metrics',
    of: ['operator + prometheusMetrics', 'operator, no metrics'],
  },
  {
    key: 'openTelemetryVsPlain',
    label: 'operator + openTelemetryMetrics / no metrics',
    of: ['operator + openTelemetryMetrics', 'operator, no metrics'],
  },
  {
    key: 'angularInterceptorVsNone',
    label: 'HttpClient request, interceptor (key: origin) / none',
    of: [
      'HttpClient.get(), circuitBreakerInterceptor() (key: origin)',
      'HttpClient.get(), no interceptor',
    ],
  },
  {
    key: 'angularFixedKeyVsNone',
    label: 'HttpClient request, interceptor (fixed key) / none',
    of: [
      'HttpClient.get(), circuitBreakerInterceptor({ key: () => name })',
      'HttpClient.get(), no interceptor',
    ],
  },
];

/** Differences in ns/op worth printing: what an attachment or the interceptor adds per call. */
const DELTAS = [
  {
    key: 'prometheusNs',
    label: 'prometheusMetrics, per call',
    of: ['operator + prometheusMetrics', 'operator, no metrics'],
  },
  {
    key: 'openTelemetryNs',
    label: 'openTelemetryMetrics, per call',
    of: ['operator + openTelemetryMetrics', 'operator, no metrics'],
  },
  {
    key: 'eventsNs',
    label: 'events$ observed (no-op), per call',
    of: ['operator, events$ observed (no-op)', 'operator, no metrics'],
  },
  {
    key: 'angularInterceptorNs',
    label: 'interceptor (key: origin), per request',
    of: [
      'HttpClient.get(), circuitBreakerInterceptor() (key: origin)',
      'HttpClient.get(), no interceptor',
    ],
  },
  {
    key: 'angularFixedKeyNs',
    label: 'interceptor (fixed key), per request',
    of: [
      'HttpClient.get(), circuitBreakerInterceptor({ key: () => name })',
      'HttpClient.get(), no interceptor',
    ],
  },
];

const KB = 1024;
const MEMORY = [
  { key: 'idleBreakerBytes', label: 'one idle breaker, retained (bytes)', max: 2 * KB },
  { key: 'registryPerBreakerBytes', label: 'one breaker of 100,000 in a registry (bytes)' },
  { key: 'registry100kBytes', label: '100,000 breakers in a registry, retained (bytes)' },
  { key: 'registry100kBuildMs', label: '100,000 registry breakers: time to make (ms)' },
  {
    key: 'registry100kTransitionMs',
    label: 'one transition, states$ observed, 100,000 breakers (ms)',
  },
  { key: 'registry1kTransitionMs', label: 'one transition, states$ observed, 1,000 breakers (ms)' },
  {
    key: 'heapGrowth1e6OperatorBytes',
    label: 'heap growth, 1e6 operator calls (bytes)',
    max: KB * KB,
  },
  { key: 'heapGrowth1e6CallBytes', label: 'heap growth, 1e6 call() calls (bytes)', max: KB * KB },
];

const now = () => Number(process.hrtime.bigint());

async function main() {
  const fluxgate = require('rxjs-fluxgate');
  const { cases, dispose } = await buildCases(fluxgate);
  /** Per case: its median ns/op in each round. */
  const perRound = new Map(cases.map((c) => [c.name, []]));

  const startedAt = Date.now();
  // One unrecorded pass over every case first: the optimizer then sees every shape RxJS and the
  // breakers will meet before any round is timed, so the first round is not faster than the others.
  for (const c of cases) for (let i = 0; i < WARMUP_PASSES; i++) await c.fn();
  // The time of one slice (one batch of every case), the median of three, sets the slices.
  const probe = [];
  for (let i = 0; i < 3; i++) {
    const t0 = now();
    for (const c of cases) await c.fn();
    probe.push((now() - t0) / 1e6);
  }
  const sliceMs = median(probe);
  const SLICES = Math.max(
    MIN_SLICES,
    Math.min(MAX_SLICES, Math.floor(BUDGET_MS / (ROUNDS * sliceMs))),
  );
  process.stdout.write(
    `one slice of ${cases.length} cases: ${sliceMs.toFixed(0)} ms; ${SLICES} slices per round\n`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    const shift = (round * 5) % cases.length;
    const order = [...cases.slice(shift), ...cases.slice(0, shift)];
    const slices = order.map(() => new Float64Array(SLICES));
    for (let slice = 0; slice < SLICES; slice++) {
      for (let k = 0; k < order.length; k++) {
        const c = order[k];
        const t0 = now();
        if (c.async) await c.fn();
        else c.fn();
        slices[k][slice] = (now() - t0) / BATCH;
      }
    }
    order.forEach((c, k) => perRound.get(c.name).push(Math.min(...slices[k])));
    process.stdout.write(`round ${round + 1}/${ROUNDS} done (${elapsed(startedAt)})\n`);
  }
  const faults = cases.map((c) => c.check()).filter((m) => m !== undefined);
  dispose();
  if (faults.length > 0) throw new Error(`a case measured the wrong state:\n${faults.join('\n')}`);

  const results = cases.map((c) => {
    const rounds = perRound.get(c.name);
    return {
      name: c.name,
      group: c.group,
      nsPerOp: round2(median(rounds)),
      minNsPerOp: round2(Math.min(...rounds)),
      maxNsPerOp: round2(Math.max(...rounds)),
    };
  });
  const ratios = {};
  const targets = [];
  for (const r of RATIOS) {
    const [a, b] = r.of.map((name) => {
      const rounds = perRound.get(name);
      if (rounds === undefined) throw new Error(`ratio ${r.key}: no case named ${name}`);
      return rounds;
    });
    const each = a.map((x, i) => x / b[i]);
    const value = round2(median(each));
    ratios[r.key] = { value, min: round2(Math.min(...each)), max: round2(Math.max(...each)) };
    if (r.max !== undefined) targets.push({ name: r.key, value, max: r.max, met: value <= r.max });
    if (r.min !== undefined) targets.push({ name: r.key, value, min: r.min, met: value >= r.min });
  }
  const deltas = {};
  for (const d of DELTAS) {
    const [a, b] = d.of.map((name) => perRound.get(name));
    deltas[d.key] = round2(median(a.map((x, i) => x - b[i])));
  }

  process.stdout.write('measuring memory...\n');
  const memory = await measureMemory(fluxgate);
  for (const m of MEMORY) {
    if (m.max !== undefined) {
      targets.push({ name: m.key, value: memory[m.key], max: m.max, met: memory[m.key] <= m.max });
    }
  }

  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    loadAverage: os.loadavg().map(round2),
  };
  const versions = {
    rxjs: versionOf('rxjs'),
    opossum: versionOf('opossum'),
    cockatiel: versionOf('cockatiel'),
    'prom-client': versionOf('prom-client'),
    '@opentelemetry/sdk-metrics': versionOf('@opentelemetry/sdk-metrics'),
    '@angular/common': versionOf('@angular/common'),
  };
  const settings = { rounds: ROUNDS, slices: SLICES, batch: BATCH, sliceMs: round2(sliceMs) };
  const seconds = (Date.now() - startedAt) / 1000;
  print({ results, ratios, deltas, memory, targets, machine, versions, settings });
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    machine,
    versions,
    settings,
    seconds: Math.round(seconds),
    cases: results,
    ratios,
    deltas,
    memory,
    targets,
  };
  fs.writeFileSync(RESULTS, JSON.stringify(report, null, 2) + '\n');
  const tablesFile = RESULTS.replace(/\.json$/, '') + '.md';
  fs.writeFileSync(
    tablesFile,
    markdown(
      { results, ratios, deltas, memory, targets, machine, versions, settings },
      report.date,
    ),
  );
  process.stdout.write(
    `\nwrote ${path.relative(process.cwd(), RESULTS)} and ${path.relative(process.cwd(), tablesFile)} (${elapsed(startedAt)})\n`,
  );
}

function versionOf(name) {
  try {
    let dir = path.dirname(require.resolve(name));
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
        if (pkg.name === name) return pkg.version;
      }
      const up = path.dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  } catch {
    return 'unknown';
  }
}

/** The header lines and the tables of a run, as rows of cells (the first row is the heading). */
function tables({ results, ratios, deltas, memory, targets, machine, versions, settings }) {
  const header = [
    `${machine.cpu}, ${machine.cpus} CPUs, Node ${machine.node}, load ${machine.loadAverage.join(' ')}; ` +
      `${settings.rounds} rounds of ${settings.slices} interleaved slices of ${settings.batch} ops`,
    Object.entries(versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', '),
  ];
  const cases = [['case', 'ns/op', 'rounds (ns/op)']];
  let group;
  for (const r of results) {
    if (r.group !== group) {
      group = r.group;
      cases.push([group, '', '']);
    }
    cases.push([
      `  ${r.name}`,
      r.nsPerOp.toFixed(1),
      `${r.minNsPerOp.toFixed(0)}..${r.maxNsPerOp.toFixed(0)}`,
    ]);
  }
  const met = new Map(targets.map((t) => [t.name, t]));
  const verdict = (key) => {
    const t = met.get(key);
    return t === undefined ? '' : t.met ? 'met' : 'MISSED';
  };
  const ratioRows = [['ratio (median of rounds)', 'value', 'rounds', 'target', '']];
  for (const r of RATIOS) {
    const v = ratios[r.key];
    ratioRows.push([
      r.label,
      `${v.value.toFixed(2)}x`,
      `${v.min.toFixed(2)}..${v.max.toFixed(2)}`,
      r.max !== undefined ? `<= ${r.max}x` : r.min !== undefined ? `>= ${r.min}x` : '',
      verdict(r.key),
    ]);
  }
  const deltaRows = [['added cost (median of rounds)', 'ns']];
  for (const d of DELTAS) deltaRows.push([d.label, deltas[d.key].toFixed(0)]);
  const memoryRows = [['memory and registry', 'value', 'target', '']];
  for (const m of MEMORY) {
    memoryRows.push([
      m.label,
      memory[m.key].toLocaleString('en-US'),
      m.max === undefined ? '' : `<= ${m.max.toLocaleString('en-US')}`,
      verdict(m.key),
    ]);
  }
  return { header, tables: [cases, ratioRows, deltaRows, memoryRows] };
}

function print(run) {
  const { header, tables: all } = tables(run);
  const out = ['', ...header];
  for (const rows of all) out.push('', ...columns(rows));
  process.stdout.write(out.join('\n') + '\n');
}

/** The same tables in Markdown, for docs/performance.md (pasted whole, never edited by hand). */
function markdown(run, date) {
  const { header, tables: all } = tables(run);
  const cell = (c) => String(c).replaceAll('|', '\\|').trim() || ' ';
  // A case group (a row with only its first cell) is set in bold.
  const line = (row) =>
    row.slice(1).every((c) => c === '')
      ? `| **${cell(row[0])}** | ${row
          .slice(1)
          .map(() => ' ')
          .join(' | ')} |`
      : `| ${row.map(cell).join(' | ')} |`;
  const out = [`<!-- npm run bench, ${date} -->`, '', `${header[0]}.`, '', `${header[1]}.`];
  for (const rows of all) {
    out.push('', `| ${rows[0].map(cell).join(' | ')} |`);
    out.push(`| ${rows[0].map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
    for (const row of rows.slice(1)) out.push(line(row));
  }
  return out.join('\n') + '\n';
}

/** Left-aligns the first column and right-aligns the others. */
function columns(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]),
      )
      .join('  ')
      .trimEnd(),
  );
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function elapsed(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
