/* How numbers, dates and names read on the page. */

export const pct = (x) => `${Math.round(x * 100)}%`;
export const score = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
export const signedPoints = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} pts`;
export const plural = (n, one, many) => `${n.toLocaleString()} ${n === 1 ? one : many || `${one}s`}`;
export const titleCase = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1).toLowerCase() : s);

/** An ISO date (yyyy-mm-dd); a value that is not a date is shown as it came. */
export function date(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().slice(0, 10);
}

/** Durations in hours, in days once they pass two. */
export function hours(value) {
  if (value === null || value === undefined) return null;
  return value >= 48 ? `${(value / 24).toFixed(1)} d` : `${value.toFixed(1)} h`;
}

export function initials(name) {
  return name.split(/[\s:_-]+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
}
