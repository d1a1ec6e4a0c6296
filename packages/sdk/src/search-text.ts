/**
 * How search compares words: case and accents folded (NFKD, combining marks dropped, lower case).
 * The device's index (search.ts) and the apps' marking of matched words use this one function,
 * so what is marked is what matched.
 */
export function foldSearchText(s: string): string {
  return s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}
