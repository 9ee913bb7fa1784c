/**
 * Formatting of money, durations and dates for the panel. Every money figure is an estimate: callers add
 * the snapshot date (see `estimateTitle`).
 */

/** `$0.81`, `$12.40`, `$1,234` ; `no price` for null. Small amounts keep three decimals. */
export function money(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'no price';
  }
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs > 0 && abs < 0.1 ? 3 : 2;
  return (
    '$' +
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  );
}

/** `$0.81/h` ; `no price` for null. */
export function perHour(value: number | null | undefined): string {
  const text = money(value);
  return text === 'no price' ? text : `${text}/h`;
}

/** `45s`, `12m`, `3h 05m`, `2d 4h` ; an en dash for unknown. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return '–';
  }
  const s = Math.floor(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  const minutes = Math.floor(s / 60);
  if (minutes < 60) {
    return `${minutes}m`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  }
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** `87%` from a fraction in [0, 1] ; an en dash for unknown. */
export function percent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) {
    return '–';
  }
  return `${Math.round(fraction * 100)}%`;
}

/** A local, readable date-time from an ISO string (the string itself when it does not parse). */
export function when(iso: string | null | undefined): string {
  if (!iso) {
    return '–';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The tooltip every money figure carries. */
export function estimateTitle(snapshotDate: string | null | undefined, what: string): string {
  return `${what}: an estimate from AWS list prices of ${snapshotDate || 'an unknown date'}, not a bill`;
}

/** Colour class of a cluster, application or job run state. */
export function stateClass(state: string): string {
  switch (state) {
    case 'RUNNING':
    case 'WAITING':
    case 'STARTED':
    case 'SUCCESS':
      return 'emrlab-state-ok';
    case 'STARTING':
    case 'BOOTSTRAPPING':
    case 'CREATING':
    case 'TERMINATING':
    case 'STOPPING':
    case 'PENDING':
    case 'SCHEDULED':
    case 'SUBMITTED':
    case 'QUEUED':
    case 'CANCELLING':
      return 'emrlab-state-busy';
    case 'TERMINATED_WITH_ERRORS':
    case 'FAILED':
      return 'emrlab-state-bad';
    default:
      return 'emrlab-state-off';
  }
}

/** States in which a cluster still bills and can be terminated. */
export const CLUSTER_LIVE = new Set(['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING']);
/** States in which a cluster accepts a Livy session. */
export const CLUSTER_CONNECTABLE = new Set(['RUNNING', 'WAITING']);
/** States in which a Serverless application can be stopped. */
export const APP_STOPPABLE = new Set(['STARTING', 'STARTED']);
/** States in which `%emr connect --serverless` works (it starts a stopped application itself). */
export const APP_CONNECTABLE = new Set(['CREATED', 'STARTING', 'STARTED', 'STOPPED']);
