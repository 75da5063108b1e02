/**
 * A loader that runs once per key: every caller of a key shares its promise, and a load that fails
 * is forgotten so that the next call tries again (an addon rebuilt meanwhile, a file now present).
 */
export function loadOnce<K, V>(): (key: K, load: () => Promise<V>) => Promise<V> {
  const made = new Map<K, Promise<V>>();
  return (key, load) => {
    let p = made.get(key);
    if (!p) {
      p = load();
      made.set(key, p);
      p.catch(() => made.delete(key));
    }
    return p;
  };
}
