// Clear screening results remembered per loaded list index. A search's result depends only on the
// index (one loaded list version, never changed once built), the name, the tie-breakers and the floor,
// so a party screened clear is clear again until the lists change: a merchant paid a thousand times a
// day is searched once per list version instead of once per payment (≈ 110 µs each). Only clear results
// are kept — a near hit or a hit is searched, recorded and decided every time — in memory only, bounded,
// the oldest forgotten first, and gone with the index when a new version replaces it.

const entriesMax = 10_000;
const memos = new WeakMap<object, Set<string>>();

export interface ClearMemo {
  has(key: string): boolean;
  add(key: string): void;
}

/** The memo of one list index (a new index starts with an empty one). */
export function clearMemoOf(index: object): ClearMemo {
  let keys = memos.get(index);
  if (keys === undefined) {
    keys = new Set();
    memos.set(index, keys);
  }
  const memo = keys;
  return {
    has: (key) => memo.has(key),
    add(key) {
      if (memo.size >= entriesMax) memo.delete(memo.values().next().value as string);
      memo.add(key);
    },
  };
}

/** Everything a search's result depends on besides the index. */
export function clearKey(
  name: string,
  facts: { birthDate?: string | undefined; country?: string | undefined },
  floor: number,
): string {
  return `${floor}\u0000${name}\u0000${facts.birthDate ?? ''}\u0000${facts.country ?? ''}`;
}
