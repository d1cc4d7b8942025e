/** Resource quantities ("500m", "128Mi", "1e3"): enough to check syntax and compare values. */

export const QUANTITY_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a quantity, or undefined when the text is not one. */
export function parseQuantity(text: unknown): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const m = text.match(/^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/);
  if (!m) return undefined;
  const num = Number(m[1]);
  if (Number.isNaN(num) || (m[1].match(/\./g)?.length ?? 0) > 1) return undefined;
  const suffix = m[2];
  if (suffix in BINARY) return num * BINARY[suffix];
  if (suffix in DECIMAL) return num * DECIMAL[suffix];
  const exp = suffix.match(/^[eE]([-+]?[0-9]+)$/);
  if (exp) return num * 10 ** Number(exp[1]);
  return undefined;
}

export function isQuantity(text: unknown): boolean {
  return parseQuantity(text) !== undefined;
}
