/**
 * Sizes for people, in the lines the image actions print.
 * @module
 */

/**
 * A size in bytes for people, in powers of 1000.
 *
 * @example
 * ```ts
 * formatSize(12_400_000); // "12.4 MB"
 * formatSize(512); // "512 B"
 * ```
 */
export function formatSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${unit === 0 ? size : size.toFixed(1)} ${units[unit]}`;
}
