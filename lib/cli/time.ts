// Arrival times as the -F format prints them: strftime's fields (local time,
// C locale) for @-sequences, and the %I, %U and %j timestamps.

/** When a message arrived: milliseconds since the epoch, and nanoseconds
 *  within that second (as precise as the clock is). */
export interface Instant { ms: number; ns: number }

/** The time now as an Instant. */
export function now(): Instant {
  const exact = performance.timeOrigin + performance.now();   // ms with a fraction
  const ms = Math.floor(exact);
  return { ms, ns: (ms % 1000) * 1e6 + Math.floor((exact - ms) * 1e6) };
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'];
const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

/** The UTC offset of local time at `d` as +hhmm. */
function offset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}${pad(a % 60)}`;
}

/** The day of the year, 1 to 366. */
function dayOfYear(d: Date): number {
  return Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - new Date(d.getFullYear(), 0, 1).getTime()) / 864e5) + 1;
}

/** Each strftime conversion the @-sequences offer (and @N, the nanoseconds). */
const FIELDS: Record<string, (d: Date, at: Instant) => string> = {
  a: (d) => DAYS[d.getDay()].slice(0, 3),
  A: (d) => DAYS[d.getDay()],
  b: (d) => MONTHS[d.getMonth()].slice(0, 3),
  h: (d) => MONTHS[d.getMonth()].slice(0, 3),
  B: (d) => MONTHS[d.getMonth()],
  C: (d) => pad(Math.floor(d.getFullYear() / 100)),
  d: (d) => pad(d.getDate()),
  D: (d) => `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`,
  e: (d) => pad(d.getDate(), 2, ' '),
  F: (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
  H: (d) => pad(d.getHours()),
  I: (d) => pad(d.getHours() % 12 || 12),
  j: (d) => pad(dayOfYear(d), 3),
  k: (d) => pad(d.getHours(), 2, ' '),
  l: (d) => pad(d.getHours() % 12 || 12, 2, ' '),
  m: (d) => pad(d.getMonth() + 1),
  M: (d) => pad(d.getMinutes()),
  n: () => '\n',
  N: (_d, at) => pad(at.ns, 9),
  p: (d) => (d.getHours() < 12 ? 'AM' : 'PM'),
  R: (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`,
  s: (d) => String(Math.floor(d.getTime() / 1000)),
  S: (d) => pad(d.getSeconds()),
  t: () => '\t',
  T: (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
  u: (d) => String(d.getDay() || 7),
  w: (d) => String(d.getDay()),
  y: (d) => pad(d.getFullYear() % 100),
  Y: (d) => String(d.getFullYear()),
  z: (d) => offset(d),
  Z: (d) => new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '',
  '%': () => '%',
};

/** Whether @`conversion` is one strftime() below knows. */
export const isTimeConversion = (conversion: string): boolean => conversion in FIELDS;

/** The strftime field `conversion` of the local time `at`. */
export function strftime(conversion: string, at: Instant): string {
  return FIELDS[conversion](new Date(at.ms), at);
}

/** %I: ISO 8601 local time to the second with its UTC offset. */
export function isoTime(at: Instant): string {
  const d = new Date(at.ms);
  return `${FIELDS.F(d, at)}T${FIELDS.T(d, at)}${offset(d)}`;
}

/** %U: seconds since the epoch with nanoseconds. */
export function unixTime(at: Instant): string {
  return `${Math.floor(at.ms / 1000)}.${pad(at.ns, 9)}`;
}

/** The "tst" of %j and %J: ISO 8601 local time with microseconds and its UTC offset. */
export function jsonTime(at: Instant): string {
  const d = new Date(at.ms);
  return `${FIELDS.F(d, at)}T${FIELDS.T(d, at)}.${pad(Math.floor(at.ns / 1000), 6)}${offset(d)}`;
}
