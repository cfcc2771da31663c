// What a screen reads when it opens (and again when its inputs change): the server's answer, or the
// refusal to show as it comes. One hook for every "read this, show it or its problem" in both apps.
import { useEffect, useState } from 'preact/hooks';
import type { Problem, Reply } from './api.ts';

export interface Loaded<T> {
  readonly value: T | undefined;
  readonly problem: Problem | undefined;
  /** Shows a refusal that came from another call on the same screen. */
  readonly setProblem: (problem: Problem | undefined) => void;
  /** Reads again (after a change the screen made). */
  readonly reload: () => void;
  /** Shows what a change on the screen answered (the server's new state), without reading again. */
  readonly set: (value: T) => void;
}

export function useLoaded<T>(read: () => Promise<Reply<T>>, inputs: readonly unknown[]): Loaded<T> {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    void read().then((r) => {
      if (!current) return;
      if (r.ok) setValue(r.body);
      else setProblem(r.problem);
    });
    return () => {
      current = false;
    };
  }, [...inputs, round]);
  return { value, problem, setProblem, reload: () => setRound((n) => n + 1), set: setValue };
}

/** One page of a list the server pages by cursor. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface Paged<T> {
  readonly items: readonly T[];
  readonly problem: Problem | undefined;
  /** Reads the next page and appends it; undefined when the server said there is none. */
  readonly more: (() => void) | undefined;
}

/** A list read page by page (newest first as the server orders it), from the first page again when `inputs` change. */
export function usePaged<T>(read: (cursor: string | undefined) => Promise<Reply<Page<T>>>, inputs: readonly unknown[]): Paged<T> {
  const [items, setItems] = useState<readonly T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const load = async (cursor: string | undefined) => {
    const r = await read(cursor);
    if (!r.ok) return setProblem(r.problem);
    setItems((old) => (cursor === undefined ? r.body.items : [...old, ...r.body.items]));
    setNext(r.body.nextCursor);
  };
  useEffect(() => void load(undefined), inputs);
  return { items, problem, more: next === null ? undefined : () => void load(next) };
}
