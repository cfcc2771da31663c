// A tiny observable value and its Preact hook: the state the screens share (language, session), with
// no framework beyond Preact itself.
import { useEffect, useState } from 'preact/hooks';

export interface Signal<T> {
  get(): T;
  set(value: T): void;
  subscribe(listener: (value: T) => void): () => void;
}

export function signal<T>(initial: T): Signal<T> {
  let value = initial;
  const listeners = new Set<(value: T) => void>();
  return {
    get: () => value,
    set(next) {
      value = next;
      for (const listener of listeners) listener(next);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useSignal<T>(s: Signal<T>): T {
  const [value, setValue] = useState(s.get());
  useEffect(() => s.subscribe(setValue), [s]);
  return value;
}

/** The current location hash as a route ("#/pay" → "/pay"). */
export const route = signal<string>(globalThis.location?.hash.slice(1) || '/');
globalThis.addEventListener?.('hashchange', () => route.set(location.hash.slice(1) || '/'));

export function go(path: string): void {
  location.hash = path;
}
