// Cursor pagination: list routes answer `{ items, nextCursor }` and take `cursor` (and `limit`).
// `pages` walks them until `nextCursor` is null; `allItems` collects, with a ceiling so a mistaken
// loop over a huge history stops.

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** Every page, starting from `cursor` (default: the first). */
export async function* pages<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  cursor?: string,
): AsyncGenerator<Page<T>> {
  let next: string | undefined = cursor;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(next);
    yield page;
    if (page.nextCursor === null || page.nextCursor === undefined) return;
    if (seen.has(page.nextCursor)) throw new Error('the server returned a cursor twice');
    seen.add(page.nextCursor);
    next = page.nextCursor;
  }
}

/** Every item of every page, in order. */
export async function* items<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  for await (const page of pages(fetchPage)) yield* page.items;
}

/** Collects up to `max` items (default 10 000); throws past it rather than silently truncating. */
export async function allItems<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  max = 10_000,
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items(fetchPage)) {
    if (out.length >= max) throw new Error(`more than ${max} items: walk them with items() instead`);
    out.push(item);
  }
  return out;
}
