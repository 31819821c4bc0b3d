/**
 * `npm run bench`: the cost of a circuit breaker call, against bare RxJS and promises, opossum and
 * cockatiel, and its memory. It loads the built package as `rxjs-fluxgate`, exactly as a user
 * would (the script builds it first), and runs everything in one process: ROUNDS rounds, each of
 * which runs every case once (in a rotated order), so that machine drift hits all cases alike.
 * A case's ns/op is the median of its rounds. Ratios are what to compare; absolute times depend on
 * the machine.
 *
 * Prints a table and writes bench/results.json. Environment: BENCH_ROUNDS (default 7, at least 5
 * for the targets), BENCH_TIME_MS (time per case and round, default 250).
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BATCH, buildCases } = require('./cases');
const { measureMemory } = require('./memory');

const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 7);
const TIME_MS = positiveInt(process.env.BENCH_TIME_MS, 250);
const WARMUP_MS = 50;
/** Batches each case runs, unrecorded, before the first round. */
const WARMUP_PASSES = 20;
const RESULTS = path.join(__dirname, 'results.json');

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
 * The ratios the issue sets targets for. `cost` ratios are ours over theirs (lower is better);
 * `speedup` ratios are their time over ours (higher is better).
 */
const RATIOS = [
  {
    key: 'operatorVsBareOf',
    label: 'operator / bare of(1)',
    of: ['of(1).pipe(circuitBreaker(b)).subscribe()', 'of(1).subscribe()'],
    max: 3.0,
  },
  {
    key: 'mapVsBareOf',
    label: 'RxJS map(x => x) / bare of(1) (reference)',
    of: ['of(1).pipe(map(x => x)).subscribe()', 'of(1).subscribe()'],
  },
  {
    key: 'operatorVsMap',
    label: 'operator / RxJS map(x => x)',
    of: ['of(1).pipe(circuitBreaker(b)).subscribe()', 'of(1).pipe(map(x => x)).subscribe()'],
  },
  {
    key: 'operatorWithFallbackVsBareOf',
    label: 'operator with fallback / bare of(1)',
    of: ['of(1).pipe(circuitBreaker(b, { fallback })).subscribe()', 'of(1).subscribe()'],
  },
  {
    key: 'callVsBareAwait',
    label: 'call() / bare await',
    of: ['breaker.call(fn)', 'await Promise.resolve(1)'],
  },
  {
    key: 'callSpeedupVsOpossumDefault',
    label: 'call() speed-up over opossum (defaults)',
    of: ['opossum fire() (defaults)', 'breaker.call(fn)'],
    min: 5,
  },
  {
    key: 'callSpeedupVsOpossumNoTimeout',
    label: 'call() speed-up over opossum (timeout: false)',
    of: ['opossum fire() (timeout: false)', 'breaker.call(fn)'],
  },
  {
    key: 'callSpeedupVsCockatielConsecutive',
    label: 'call() speed-up over cockatiel (consecutive)',
    of: ['cockatiel execute() (ConsecutiveBreaker)', 'breaker.call(fn)'],
    min: 1.3,
  },
  {
    key: 'callSpeedupVsCockatielSampling',
    label: 'call() speed-up over cockatiel (sampling)',
    of: ['cockatiel execute() (SamplingBreaker)', 'breaker.call(fn)'],
  },
  {
    key: 'coarseClockOperatorVsBareOf',
    label: 'operator, coarse clock / bare of(1)',
    of: ['of(1).pipe(circuitBreaker(b)), coarse clock', 'of(1).subscribe()'],
  },
  {
    key: 'coarseClockCallSpeedupVsCockatielConsecutive',
    label: 'call(), coarse clock: speed-up over cockatiel (consecutive)',
    of: ['cockatiel execute() (ConsecutiveBreaker)', 'breaker.call(fn), coarse clock'],
  },
  {
    key: 'openOperatorSpeedupVsOpossum',
    label: 'open rejection, operator: speed-up over opossum',
    of: ['opossum fire(), open', 'of(1).pipe(circuitBreaker(b)), open'],
    min: 3,
  },
  {
    key: 'openCallSpeedupVsOpossum',
    label: 'open rejection, call(): speed-up over opossum',
    of: ['opossum fire(), open', 'breaker.call(fn), open'],
    min: 3,
  },
  {
    key: 'openCallSpeedupVsCockatiel',
    label: 'open rejection, call(): speed-up over cockatiel',
    of: ['cockatiel execute(), open', 'breaker.call(fn), open'],
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
  {
    key: 'tripperFiveVsOne',
    label: 'tripper of 5 parts / 1 part',
    of: ['tripper: 5 parts', 'tripper: 1 part'],
  },
];

const KB = 1024;
const MEMORY_TARGETS = [
  { key: 'idleBreakerBytes', label: 'one idle breaker, retained', max: 2 * KB },
  { key: 'registryPerBreakerBytes', label: 'one breaker of 10,000 in a registry' },
  { key: 'registry10kBytes', label: '10,000 breakers in a registry, retained' },
  { key: 'heapGrowth1e6OperatorBytes', label: 'heap growth, 1e6 operator calls', max: KB * KB },
  { key: 'heapGrowth1e6CallBytes', label: 'heap growth, 1e6 call() calls', max: KB * KB },
];

async function main() {
  const { Bench } = await import('tinybench');
  const fluxgate = require('rxjs-fluxgate');
  const { cases, dispose } = await buildCases(fluxgate);
  const perRound = new Map(cases.map((c) => [c.name, []]));

  const startedAt = Date.now();
  // One unrecorded pass over every case first: the optimizer then sees every shape RxJS and the
  // breakers will meet before any round is timed, so the first round is not faster than the others.
  for (const c of cases) for (let i = 0; i < WARMUP_PASSES; i++) await c.fn();
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TIME_MS, warmupTime: WARMUP_MS, throws: true });
    const shift = (round * 5) % cases.length;
    for (const c of [...cases.slice(shift), ...cases.slice(0, shift)]) {
      bench.add(c.name, c.fn, { async: c.async });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const { state, latency } = task.result;
      if (state !== 'completed') throw new Error(`${task.name}: ${state}`);
      perRound.get(task.name).push((latency.mean * 1e6) / BATCH);
    }
    process.stdout.write(`round ${round + 1}/${ROUNDS} done (${elapsed(startedAt)})\n`);
  }
  const faults = cases.map((c) => c.check()).filter((m) => m !== undefined);
  dispose();
  if (faults.length > 0) throw new Error(`a case measured the wrong state:\n${faults.join('\n')}`);

  const results = cases.map((c) => {
    const rounds = perRound.get(c.name);
    const nsPerOp = median(rounds);
    return {
      name: c.name,
      group: c.group,
      nsPerOp: round2(nsPerOp),
      opsPerSec: Math.round(1e9 / nsPerOp),
      minNsPerOp: round2(Math.min(...rounds)),
      maxNsPerOp: round2(Math.max(...rounds)),
    };
  });
  const ns = new Map(results.map((r) => [r.name, r.nsPerOp]));
  const ratios = {};
  const targets = [];
  for (const r of RATIOS) {
    const value = round2(ns.get(r.of[0]) / ns.get(r.of[1]));
    ratios[r.key] = value;
    if (r.max !== undefined) targets.push({ name: r.key, value, max: r.max, met: value <= r.max });
    if (r.min !== undefined) targets.push({ name: r.key, value, min: r.min, met: value >= r.min });
  }

  process.stdout.write('measuring memory...\n');
  const memory = await measureMemory(fluxgate);
  for (const m of MEMORY_TARGETS) {
    if (m.max !== undefined) {
      targets.push({ name: m.key, value: memory[m.key], max: m.max, met: memory[m.key] <= m.max });
    }
  }

  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
  const settings = { rounds: ROUNDS, timePerCaseMs: TIME_MS, batch: BATCH };
  print(results, machine, settings, memory, targets);
  fs.writeFileSync(
    RESULTS,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        settings,
        cases: results,
        ratios,
        memory,
        targets,
      },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(
    `\nwrote ${path.relative(process.cwd(), RESULTS)} (${elapsed(startedAt)})\n`,
  );
}

function print(results, machine, settings, memory, targets) {
  const out = [];
  out.push(
    '',
    `${machine.cpu}, ${machine.cpus} CPUs, Node ${machine.node}; median of ${settings.rounds} ` +
      `rounds, ${settings.timePerCaseMs} ms per case and round`,
  );
  const table = [['case', 'ns/op', 'ops/s', 'rounds (ns/op)']];
  let group;
  for (const r of results) {
    if (r.group !== group) {
      group = r.group;
      table.push([group, '', '', '']);
    }
    table.push([
      `  ${r.name}`,
      r.nsPerOp.toFixed(1),
      r.opsPerSec.toLocaleString('en-US'),
      `${r.minNsPerOp.toFixed(0)}..${r.maxNsPerOp.toFixed(0)}`,
    ]);
  }
  out.push('', ...columns(table));

  const met = new Map(targets.map((t) => [t.name, t]));
  const ratioRows = [['ratio', 'value', 'target', '']];
  for (const r of RATIOS) {
    const t = met.get(r.key);
    ratioRows.push([
      r.label,
      `${t?.value ?? round2(ns(results, r.of[0]) / ns(results, r.of[1]))}x`,
      r.max !== undefined ? `<= ${r.max}x` : r.min !== undefined ? `>= ${r.min}x` : '',
      t === undefined ? '' : t.met ? 'met' : 'MISSED',
    ]);
  }
  out.push('', ...columns(ratioRows));

  const memoryRows = [['memory', 'bytes', 'target', '']];
  for (const m of MEMORY_TARGETS) {
    const t = met.get(m.key);
    memoryRows.push([
      m.label,
      memory[m.key].toLocaleString('en-US'),
      m.max === undefined ? '' : `<= ${m.max.toLocaleString('en-US')}`,
      t === undefined ? '' : t.met ? 'met' : 'MISSED',
    ]);
  }
  memoryRows.push([
    '10,000 registry breakers: time to make',
    `${memory.registry10kBuildMs} ms`,
    '',
    '',
  ]);
  out.push('', ...columns(memoryRows));
  process.stdout.write(out.join('\n') + '\n');
}

function ns(results, name) {
  return results.find((r) => r.name === name).nsPerOp;
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
