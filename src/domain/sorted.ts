/**
 * The first index whose value is greater than `x` in an ascending array (its length when there is none):
 * where `x` would be inserted after its equals. The one binary search of the stream path.
 */
export function upperBound<T extends number | bigint>(sorted: readonly T[], x: T): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
