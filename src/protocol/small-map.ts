/** Marks the single slot empty (no key of a connection's map can be this symbol). */
const EMPTY: unique symbol = Symbol('empty');

/**
 * A map for the handful of subscriptions one connection holds, almost always exactly one. A `Map`
 * costs about 190 bytes of heap even when empty (its hash table is allocated up front); this keeps
 * the first entry in two fields and makes a `Map` only when a second key arrives, so an idle
 * connection with one subscription pays for one small object. Iteration is in insertion order, as
 * with `Map`.
 */
export class SmallMap<K, V> {
  private key: K | typeof EMPTY = EMPTY;
  private value: V | undefined = undefined;
  private map: Map<K, V> | undefined = undefined;

  get size(): number {
    return this.map ? this.map.size : this.key === EMPTY ? 0 : 1;
  }

  get(key: K): V | undefined {
    if (this.map) return this.map.get(key);
    return this.key === key ? this.value : undefined;
  }

  has(key: K): boolean {
    return this.map ? this.map.has(key) : this.key === key;
  }

  set(key: K, value: V): this {
    if (this.map) {
      this.map.set(key, value);
    } else if (this.key === EMPTY || this.key === key) {
      this.key = key;
      this.value = value;
    } else {
      // A second key: a real Map from now on (kept if it shrinks back: rare, and the per-connection
      // subscription limit bounds it).
      this.map = new Map([[this.key, this.value as V], [key, value]]);
      this.key = EMPTY;
      this.value = undefined;
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.map) return this.map.delete(key);
    if (this.key === EMPTY || this.key !== key) return false;
    this.key = EMPTY;
    this.value = undefined;
    return true;
  }

  clear(): void {
    this.map?.clear();
    this.key = EMPTY;
    this.value = undefined;
  }

  /** The values in insertion order (with one entry, a snapshot; with a Map, its live iterator). */
  values(): IterableIterator<V> {
    if (this.map) return this.map.values();
    return (this.key === EMPTY ? [] : [this.value as V]).values();
  }
}
