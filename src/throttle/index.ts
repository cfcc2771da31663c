// Throttling's door: fixed-window counters shared across processes through the store.
export { countHit, countRequest, hitsOf, sweepCounters, windowStartOf, type WindowCount } from './counters.ts';
