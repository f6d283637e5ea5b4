/** Helpers shared by the bench scripts. */

/** The median of `xs` (the upper middle for an even count); `xs` is left as it is. */
export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
