// Jaro–Winkler similarity of two strings (1 = equal, 0 = nothing in common), written for the
// screening hot path: no allocation beyond two small flag arrays reused across calls.

const prefixScale = 0.1;
const prefixMax = 4;
let flagsA = new Uint8Array(64);
let flagsB = new Uint8Array(64);

function matchingCharacters(a: string, b: string): { matches: number; transpositions: number } {
  if (flagsA.length < a.length) flagsA = new Uint8Array(a.length * 2);
  if (flagsB.length < b.length) flagsB = new Uint8Array(b.length * 2);
  flagsA.fill(0, 0, a.length);
  flagsB.fill(0, 0, b.length);
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  let matches = 0;
  for (let i = 0; i < a.length; i += 1) {
    const from = Math.max(0, i - window);
    const to = Math.min(b.length - 1, i + window);
    const code = a.charCodeAt(i);
    for (let j = from; j <= to; j += 1) {
      if (flagsB[j] === 0 && b.charCodeAt(j) === code) {
        flagsA[i] = 1;
        flagsB[j] = 1;
        matches += 1;
        break;
      }
    }
  }
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < a.length && matches > 0; i += 1) {
    if (flagsA[i] === 0) continue;
    while (flagsB[k] === 0) k += 1;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions += 1;
    k += 1;
  }
  return { matches, transpositions: transpositions / 2 };
}

export function jaroWinkler(a: string, b: string): number {
  if (a === b) return a.length === 0 ? 0 : 1;
  if (a.length === 0 || b.length === 0) return 0;
  const { matches, transpositions } = matchingCharacters(a, b);
  if (matches === 0) return 0;
  const jaro = (matches / a.length + matches / b.length + (matches - transpositions) / matches) / 3;
  let prefix = 0;
  const limit = Math.min(prefixMax, a.length, b.length);
  while (prefix < limit && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix += 1;
  return jaro + prefix * prefixScale * (1 - jaro);
}
