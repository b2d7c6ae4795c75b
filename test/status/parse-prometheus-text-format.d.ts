// Types for parse-prometheus-text-format 1.1.1, which ships none: what it returns per metric family.
declare module 'parse-prometheus-text-format' {
  interface ParsedSample {
    labels?: Record<string, string>;
    value?: string;
    /** Summaries: quantile -> value, and the _sum and _count samples. */
    quantiles?: Record<string, string>;
    sum?: string;
    count?: string;
    timestamp_ms?: string;
  }
  interface ParsedFamily {
    name: string;
    help: string;
    type: 'GAUGE' | 'COUNTER' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED';
    metrics: ParsedSample[];
  }
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
