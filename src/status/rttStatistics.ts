// Round-trip times through the tunnel, summarised. Jitter is the mean absolute difference between
// consecutive samples, in the order they were taken (RFC 3550's interarrival jitter without its
// 1/16 smoothing, which only settles over long runs): how much one round trip differs from the next.
// A steady path has jitter near 0 whatever its median; a path that alternates 10 ms and 30 ms has
// jitter 20 ms though its spread around the mean is only 10.

export interface RttStatistics {
  samples: number;
  /** Seconds. */
  min: number;
  median: number;
  max: number;
  mean: number;
  jitter: number;
}

/** @param samples seconds, in the order measured; undefined when there are none */
export function rttStatistics(samples: readonly number[]): RttStatistics | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  let differences = 0;
  for (let i = 1; i < samples.length; i++) differences += Math.abs(samples[i]! - samples[i - 1]!);
  return {
    samples: samples.length,
    min: sorted[0]!,
    median,
    max: sorted.at(-1)!,
    mean: samples.reduce((sum, s) => sum + s, 0) / samples.length,
    jitter: samples.length > 1 ? differences / (samples.length - 1) : 0,
  };
}
