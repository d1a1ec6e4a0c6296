/** Fingerprints and safety numbers are read aloud in groups of five digits. */
export function groupDigits(s: string): string[] {
  const digits = s.replace(/\D/g, "");
  const out: string[] = [];
  for (let i = 0; i < digits.length; i += 5) out.push(digits.slice(i, i + 5));
  return out;
}
