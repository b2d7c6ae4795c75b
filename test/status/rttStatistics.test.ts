import { describe, expect, test } from 'vitest';
import { rttStatistics } from '../../src/status/rttStatistics.js';

describe('rttStatistics', () => {
  test('no samples, no statistics', () => {
    expect(rttStatistics([])).toBeUndefined();
  });

  test('one sample: it is min, median and max; no jitter', () => {
    expect(rttStatistics([0.004])).toEqual({ samples: 1, min: 0.004, median: 0.004, max: 0.004, mean: 0.004, jitter: 0 });
  });

  test('the median of an odd count is the middle sample, of an even count the mean of the middle two', () => {
    expect(rttStatistics([5, 1, 3])!.median).toBe(3);
    expect(rttStatistics([4, 1, 3, 2])!.median).toBe(2.5);
  });

  test('jitter is the mean absolute difference of consecutive samples, in the order taken', () => {
    // |30-10| + |10-30| + |30-10| = 60 over 3 differences.
    expect(rttStatistics([10, 30, 10, 30])).toMatchObject({ min: 10, median: 20, max: 30, mean: 20, jitter: 20 });
    // The same samples sorted: one step of 20 over 3 differences. Order matters, as on the wire.
    expect(rttStatistics([10, 10, 30, 30])!.jitter).toBeCloseTo(20 / 3);
    // A steady path has none, whatever its level.
    expect(rttStatistics([0.08, 0.08, 0.08])!.jitter).toBe(0);
  });
});
