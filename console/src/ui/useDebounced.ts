import { useEffect, useState } from 'react';

/** The value once it has stopped changing for `ms` (typing in a search box). Compare by
 * value: pass a string (JSON for objects), since a new object each render never settles. */
export function useDebounced<T extends string | number | boolean | null | undefined>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const h = setTimeout(() => setV(value), ms);
    return () => clearTimeout(h);
  }, [value, ms]);
  return v;
}
