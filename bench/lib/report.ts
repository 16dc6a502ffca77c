/** The benchmark's printed tables and the targets the issue sets. */
import type { Comparison } from './compare';
import type { SoakResult } from '../workloads/soak';
import type { W4Result } from '../workloads/w4';
import type { W4RResult } from '../workloads/w4r';
import { W1_NAME, W1_POLICY_NAME } from '../workloads/w1';

export interface TargetCheck {
  workload: string;
  what: string;
  target: string;
  value: number;
  met: boolean;
}

/** The targets, checked against a run's numbers (never in tests: they are machine-dependent). */
export function checkTargets(
  comparisons: Comparison[],
  w4: W4Result | undefined,
  soak: SoakResult | undefined,
  w4r?: W4RResult,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const w1 = comparisons.find((c) => c.name === W1_NAME);
  const policy = comparisons.find((c) => c.name === W1_POLICY_NAME);
  if (policy) {
    checks.push({
      workload: policy.name,
      what: 'requests/s policy on/off',
      target: '≥ 0.9',
      value: policy.ratios.rps,
      met: policy.ratios.rps >= 0.9,
    });
  }
  if (w1) {
    checks.push({
      workload: w1.name,
      what: 'requests/s sdp/stock',
      target: '≥ 4',
      value: w1.ratios.rps,
      met: w1.ratios.rps >= 4,
    });
    checks.push({
      workload: w1.name,
      what: 'p99 sdp/stock',
      target: '≤ 0.25',
      value: w1.ratios.p99,
      met: w1.ratios.p99 <= 0.25,
    });
  }
  if (w4) {
    checks.push({
      workload: w4.name,
      what: 'events/s into MariaDB',
      target: '≥ 25000',
      value: w4.ingest.eventsPerS,
      met: w4.ingest.eventsPerS >= 25_000,
    });
    checks.push({
      workload: w4.name,
      what: 'ingest / raw upsert ceiling',
      target: '≥ 0.5',
      value: w4.ingestVsRaw,
      met: w4.ingestVsRaw >= 0.5,
    });
    checks.push({
      workload: w4.name,
      what: 'freshness p99 ms',
      target: '< 500',
      value: w4.freshness.p99Ms,
      met: w4.freshness.p99Ms < 500,
    });
  }
  if (w4r) {
    for (const [product, ratio] of Object.entries(w4r.vsRaw)) {
      checks.push({
        workload: 'W4R',
        what: `${product} ingest / its raw writes`,
        target: '≥ 0.5',
        value: ratio,
        met: ratio >= 0.5,
      });
    }
    checks.push({
      workload: 'W4R',
      what: 'lag-zero time / raw writes',
      target: '≤ 2',
      value: w4r.lagZeroVsRawBoth,
      met: w4r.lagZeroVsRawBoth <= 2,
    });
  }
  if (soak) {
    // A leak grows steadily; a healthy heap levels off after warm-up. So "stable"
    // here is the second half of the run growing RSS by at most 10%.
    const growth = soak.rssEndMiB / soak.rssMidMiB;
    checks.push({
      workload: 'soak',
      what: 'RSS end / middle of the run',
      target: '≤ 1.1',
      value: growth,
      met: growth <= 1.1,
    });
  }
  return checks;
}

const num = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '–');

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

export function comparisonTable(c: Comparison): string {
  const w = [16, 10, 10, 10];
  const s = c.settings;
  const [a, b] = c.labels ? [c.labels.sdp, c.labels.stock] : ['sdp', 'stock'];
  return [
    `${c.name}: ${c.description}`,
    `  ${s.connections} connections, ${s.rounds} × ${s.durationS} s rounds after ${s.warmupS} s warm-up each; ` +
      `${(c.responseBytes / 1024).toFixed(1)} KB per response`,
    '  ' + row(['', a, b, `${a}/${b}`], w),
    '  ' + row(['requests/s', num(c.sdp.rps), num(c.stock.rps), num(c.ratios.rps, 2)], w),
    '  ' + row(['p50 ms', num(c.sdp.p50Ms, 1), num(c.stock.p50Ms, 1), num(c.ratios.p50, 2)], w),
    '  ' + row(['p99 ms', num(c.sdp.p99Ms, 1), num(c.stock.p99Ms, 1), num(c.ratios.p99, 2)], w),
    '  ' +
      row(
        [
          'CPU ms/request',
          num(c.sdp.cpuMsPerRequest, 3),
          num(c.stock.cpuMsPerRequest, 3),
          num(c.ratios.cpuMsPerRequest, 2),
        ],
        w,
      ),
    '  ' + row(['CPU cores busy', num(c.sdp.cpuCores, 2), num(c.stock.cpuCores, 2), ''], w),
    '  ' +
      row(
        [
          'peak RSS MiB',
          num(c.sdp.peakRssMiB),
          num(c.stock.peakRssMiB),
          num(c.sdp.peakRssMiB / c.stock.peakRssMiB, 2),
        ],
        w,
      ),
  ].join('\n');
}

export function w4Table(r: W4Result): string {
  return [
    `${r.name}: ${r.events} page_change events, Kafka → pages → MariaDB`,
    `  ingest            ${num(r.ingest.eventsPerS)} events/s (${r.ingest.waves} waves, ${num(r.ingest.seconds, 1)} s), ` +
      `${num(r.ingest.cpuMsPer1000Events)} CPU ms per 1,000 events, ${r.ingest.deadLettered} dead-lettered`,
    `  raw mysql2        ${num(r.raw.eventsPerS)} events/s (${r.raw.rowsPerStatement} rows per upsert, one connection)`,
    `  ingest / raw      ${num(r.ingestVsRaw, 2)}   tables identical: ${r.statesMatch ? 'yes' : 'NO'}`,
    `  freshness         p50 ${num(r.freshness.p50Ms)} ms, p99 ${num(r.freshness.p99Ms)} ms, max ${num(r.freshness.maxMs)} ms ` +
      `(${r.freshness.samples} samples)`,
  ].join('\n');
}

export function w4rTable(r: W4RResult): string {
  const w = [22, 10, 8, 9, 10, 14, 14];
  const raw: Record<string, number> = { pages: r.raw.pagesS, users: r.raw.usersS };
  const lines = [
    `${r.name}: ${r.events} page_change events (${r.before} produced before start, the rest once up; gzip; ` +
      `${r.partitions} partitions), the platform as \`sdp start\` runs it on MariaDB and Kafka`,
    '  ' +
      row(['product', 'events/s', 'seconds', 'CPU ms/1k', 'alone ev/s', 'alone CPU/1k', 'vs raw (alone)'], w),
  ];
  for (const p of r.all.perProduct) {
    const alone = r.alone.find((a) => a.products.length === 1 && a.products[0] === p.product);
    const solo = alone?.perProduct[0];
    const rawEps = raw[p.product] ? r.events / raw[p.product]! : NaN;
    lines.push(
      '  ' +
        row(
          [
            p.product,
            num(p.eventsPerS),
            num(p.seconds, 2),
            '',
            num(solo?.eventsPerS ?? NaN),
            num(alone?.cpuMsPer1000Events ?? NaN),
            `${num(p.eventsPerS / rawEps, 2)} (${num((solo?.eventsPerS ?? NaN) / rawEps, 2)})`,
          ],
          w,
        ),
    );
  }
  lines.push(
    '  ' + row(['whole platform', '', num(r.all.lagZeroS, 2), num(r.all.cpuMsPer1000Events), '', '', ''], w),
    `  raw mysql2 (${r.raw.eventsPerBatch}-event batches, a connection per partition): pages ${num(r.events / r.raw.pagesS)} events/s, ` +
      `users ${num(r.events / r.raw.usersS)}, both at once ${num(r.events / r.raw.bothS)} (${num(r.raw.bothS, 2)} s)`,
    `  lag back to zero ${num(r.all.lagZeroS, 2)} s = ${num(r.lagZeroVsRawBoth, 2)}× the raw writes; ` +
      `first consumer up ${num(r.all.startupS, 1)} s after spawn, all ${num(r.all.readyS, 1)} s; tables identical: ${r.statesMatch ? 'yes' : 'NO'}; ` +
      `load average ${r.all.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
  );
  return lines.join('\n');
}

export function soakTable(r: SoakResult): string {
  return [
    `soak: sdp gateway under the W1 load for ${r.seconds} s at ${r.connections} connections`,
    `  RSS start ${num(r.rssStartMiB)} MiB, middle ${num(r.rssMidMiB)} MiB, end ${num(r.rssEndMiB)} MiB, ` +
      `max ${num(r.rssMaxMiB)} MiB; ` +
      `requests/s first slice ${num(r.sliceRps[0] ?? NaN)}, last ${num(r.sliceRps.at(-1) ?? NaN)}`,
  ].join('\n');
}

export function targetsTable(checks: TargetCheck[]): string {
  if (checks.length === 0) return '';
  return [
    'targets',
    ...checks.map(
      (c) =>
        `  ${c.met ? 'met    ' : 'MISSED '} ${c.workload.padEnd(12)} ${c.what.padEnd(28)} ${num(c.value, 2).padStart(9)}  (target ${c.target})`,
    ),
  ].join('\n');
}
