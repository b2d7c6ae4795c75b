// Reads Prometheus text exposition the way a scraper does: parse-prometheus-text-format for the
// structure, plus the rules of the format it does not enforce (promtool's, where Debian ships it
// only inside the whole prometheus package): names and label names of the allowed characters, values
// that parse as floats, HELP and TYPE before a family's samples and once each, a family in one piece,
// no series twice, and a newline at the end.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export type Family = ReturnType<typeof parsePrometheusTextFormat>[number];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

export function readExposition(text: string): Family[] {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = parsePrometheusTextFormat(text);
  const seenFamilies = new Set<string>();
  const seenSeries = new Set<string>();
  let current: { name: string; help: boolean; type?: string } | undefined;
  for (const [index, line] of text.split('\n').entries()) {
    const where = `line ${index + 1}: ${line}`;
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name = ''] = meta;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name, ${where}`);
      if (current?.name !== name) {
        if (seenFamilies.has(name)) throw new Error(`family ${name} appears twice, ${where}`);
        seenFamilies.add(name);
        current = { name, help: false };
      }
      if (kind === 'HELP') {
        if (current.help) throw new Error(`second HELP, ${where}`);
        current.help = true;
      } else {
        if (current.type) throw new Error(`second TYPE, ${where}`);
        if (!['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(meta[3] ?? '')) throw new Error(`bad TYPE, ${where}`);
        current.type = meta[3];
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line, ${where}`);
    const [, name = '', labelText = '', value = ''] = sample;
    if (!current || !(name === current.name || (current.type === 'summary' && (name === `${current.name}_sum` || name === `${current.name}_count`)))) {
      throw new Error(`sample outside its family's HELP and TYPE, ${where}`);
    }
    if (!current.help || !current.type) throw new Error(`sample before HELP and TYPE, ${where}`);
    if (!FLOAT.test(value)) throw new Error(`value is not a float, ${where}`);
    for (const [, labelName = ''] of labelText.matchAll(/([^{=,"]+)="(?:[^"\\]|\\.)*"/g)) {
      if (!LABEL_NAME.test(labelName)) throw new Error(`bad label name ${labelName}, ${where}`);
    }
    if (labelText && labelText.replace(/([^{=,"]+)="(?:[^"\\]|\\.)*"/g, '').replace(/[{},]/g, '') !== '') throw new Error(`bad label set, ${where}`);
    const series = `${name}${labelText}`;
    if (seenSeries.has(series)) throw new Error(`series twice, ${where}`);
    seenSeries.add(series);
  }
  return families;
}

/** The value of one gauge or counter sample, by its exact label set. */
export function sampleValue(families: readonly Family[], name: string, labels: Record<string, string>): number | undefined {
  const family = families.find((f) => f.name === name);
  if (family?.type === 'SUMMARY') throw new Error(`${name} is a summary: read it with summarySeries`);
  const sample = family?.metrics.find((m) => sameLabels(m.labels ?? {}, labels));
  return sample?.value === undefined ? undefined : floatOf(sample.value);
}

/**
 * One series of a summary: its quantiles, sum and count. parse-prometheus-text-format folds every
 * series of a summary family into one (it keeps only the quantile label, and the sum and count of an
 * unlabelled series only), so each series is handed to it alone, its own labels taken off: the
 * family's HELP and TYPE lines and that series' samples.
 */
export function summarySeries(text: string, name: string, labels: Record<string, string>): { quantiles: Record<string, number>; sum?: number; count?: number } | undefined {
  const lines = text.split('\n');
  const own = lines.flatMap((line) => {
    if (line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `)) return [line];
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample || ![name, `${name}_sum`, `${name}_count`].includes(sample[1]!)) return [];
    const { quantile, ...rest } = labelsOf(sample[2] ?? '');
    if (!sameLabels(rest, labels)) return [];
    return [`${sample[1]}${quantile === undefined ? '' : `{quantile="${quantile}"}`} ${sample[3]}`];
  });
  if (!own.some((line) => !line.startsWith('#'))) return undefined;
  const [family] = parsePrometheusTextFormat(`${own.join('\n')}\n`);
  const series = family?.metrics[0];
  if (!family || family.type !== 'SUMMARY' || !series) throw new Error(`${name} is not a summary`);
  return {
    quantiles: Object.fromEntries(Object.entries(series.quantiles ?? {}).map(([q, v]) => [q, floatOf(v)])),
    ...(series.sum === undefined ? {} : { sum: floatOf(series.sum) }),
    ...(series.count === undefined ? {} : { count: floatOf(series.count) }),
  };
}

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name = '', value = ''] of text.matchAll(/([^{=,"]+)="((?:[^"\\]|\\.)*)"/g)) {
    labels[name] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  return Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
}

function floatOf(text: string): number {
  return Number(text.replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity'));
}
