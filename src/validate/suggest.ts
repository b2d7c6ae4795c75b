// "Did you mean" hints for names that almost match.
import { distance } from 'fastest-levenshtein';

export function closestName(wanted: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(wanted.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(2, Math.floor(wanted.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

export function didYouMean(wanted: string, candidates: Iterable<string>): string | undefined {
  const name = closestName(wanted, candidates);
  return name === undefined ? undefined : `did you mean "${name}"?`;
}
