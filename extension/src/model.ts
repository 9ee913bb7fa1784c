/**
 * The panel's state: the two listings, their error, the expanded details, the filters; refreshed by a
 * Poll (backoff on errors, standby while the browser tab or the panel is hidden).
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { api, ApiError, Query } from './api';
import type {
  IApplication,
  IApplicationDetail,
  IApplicationList,
  ICluster,
  IClusterDetail,
  IClusterList,
  IPanelSettings
} from './types';
import { DEFAULT_SETTINGS } from './types';

/** The state filter: one choice maps to the EMR states of each list. */
export const STATE_FILTERS: { key: string; label: string; clusters: string; applications: string }[] = [
  { key: 'active', label: 'Active', clusters: 'ACTIVE', applications: 'ACTIVE' },
  { key: 'running', label: 'Running / started', clusters: 'RUNNING,WAITING', applications: 'STARTED' },
  {
    key: 'starting',
    label: 'Starting',
    clusters: 'STARTING,BOOTSTRAPPING',
    applications: 'CREATING,CREATED,STARTING'
  },
  {
    key: 'ended',
    label: 'Stopped / terminated',
    clusters: 'TERMINATING,TERMINATED,TERMINATED_WITH_ERRORS',
    applications: 'STOPPING,STOPPED,TERMINATED'
  },
  { key: 'all', label: 'All', clusters: 'ALL', applications: 'ALL' }
];

export interface IDetail<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

type Kind = 'cluster' | 'application';

export function detailKey(kind: Kind, region: string, id: string): string {
  return `${kind}:${region}:${id}`;
}

const MAX_BACKOFF_MS = 5 * 60 * 1000;

export class EmrModel {
  settings: IPanelSettings = { ...DEFAULT_SETTINGS };
  stateFilter = 'active';
  nameFilter = '';
  clusters: IClusterList | null = null;
  applications: IApplicationList | null = null;
  /** One message per failed list (deduplicated): the API's error.message. */
  errors: string[] = [];
  loading = true;
  readonly expanded = new Set<string>();
  readonly clusterDetails = new Map<string, IDetail<IClusterDetail>>();
  readonly applicationDetails = new Map<string, IDetail<IApplicationDetail>>();
  readonly poll: Poll;
  private _changed = new Signal<this, void>(this);
  private _force = false;
  private _visible = false;
  private _nameTimer = 0;

  constructor() {
    this.poll = new Poll({
      auto: false,
      factory: () => this._tick(),
      frequency: { interval: DEFAULT_SETTINGS.pollSeconds * 1000, backoff: true, max: MAX_BACKOFF_MS },
      // when the panel is closed there is nothing to show: sleep; when it is open, sleep while the
      // browser tab is hidden
      standby: () => (this._visible ? 'when-hidden' : true),
      name: 'emrlab:poll'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Start polling (first tick at once). */
  start(): void {
    void this.poll.start();
  }

  dispose(): void {
    window.clearTimeout(this._nameTimer);
    this.poll.dispose();
    Signal.clearData(this);
  }

  /** The panel was shown or hidden; showing it refreshes at once. */
  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible) {
      void this.poll.refresh();
    }
  }

  updateSettings(settings: IPanelSettings): void {
    const before = JSON.stringify([this.settings.regions, this.settings.profile]);
    this.settings = settings;
    this.poll.frequency = {
      interval: Math.max(5, settings.pollSeconds) * 1000,
      backoff: true,
      max: MAX_BACKOFF_MS
    };
    if (JSON.stringify([settings.regions, settings.profile]) !== before) {
      this.clusterDetails.clear();
      this.applicationDetails.clear();
      void this.poll.refresh();
    }
    this._changed.emit();
  }

  /** Refresh now; `force` bypasses the server's TTL cache (`refresh=1`). */
  refresh(force = true): Promise<void> {
    this._force = this._force || force;
    return this.poll.refresh();
  }

  setStateFilter(key: string): void {
    this.stateFilter = key;
    this._changed.emit();
    void this.poll.refresh();
  }

  setNameFilter(name: string): void {
    this.nameFilter = name;
    this._changed.emit();
    window.clearTimeout(this._nameTimer);
    this._nameTimer = window.setTimeout(() => void this.poll.refresh(), 300);
  }

  /** The region/profile query of every call. */
  scope(): Query {
    return {
      region: this.settings.regions.length ? this.settings.regions.join(',') : null,
      profile: this.settings.profile
    };
  }

  /** Account-wide burn (USD/h) of the listed clusters and applications; null when nothing is known. */
  burnPerHour(): number | null {
    const parts = [this.clusters?.totals.per_hour, this.applications?.totals.per_hour].filter(
      (v): v is number => typeof v === 'number'
    );
    return parts.length ? parts.reduce((a, b) => a + b, 0) : null;
  }

  snapshotDate(): string | null {
    return this.clusters?.prices.snapshot_date ?? this.applications?.prices.snapshot_date ?? null;
  }

  toggle(kind: Kind, item: ICluster | IApplication): void {
    const key = detailKey(kind, item.region, item.id);
    if (this.expanded.has(key)) {
      this.expanded.delete(key);
    } else {
      this.expanded.add(key);
      void this.loadDetail(kind, item.region, item.id, false);
    }
    this._changed.emit();
  }

  /** Fetch (or re-fetch) a detail; resolves to it, or null with the error stored. */
  async loadDetail(
    kind: Kind,
    region: string,
    id: string,
    force: boolean
  ): Promise<IClusterDetail | IApplicationDetail | null> {
    const key = detailKey(kind, region, id);
    const store: Map<string, IDetail<any>> = kind === 'cluster' ? this.clusterDetails : this.applicationDetails;
    const previous = store.get(key);
    store.set(key, { data: previous?.data ?? null, error: null, loading: true });
    this._changed.emit();
    const query = { ...this.scope(), region, refresh: force ? '1' : null };
    try {
      const data =
        kind === 'cluster'
          ? (await api.cluster(id, query)).cluster
          : (await api.application(id, query)).application;
      store.set(key, { data, error: null, loading: false });
      return data;
    } catch (error) {
      const message = error instanceof ApiError ? error.message : String(error);
      store.set(key, { data: previous?.data ?? null, error: message, loading: false });
      return null;
    } finally {
      this._changed.emit();
    }
  }

  private async _tick(): Promise<void> {
    const force = this._force;
    this._force = false;
    const filter = STATE_FILTERS.find(f => f.key === this.stateFilter) ?? STATE_FILTERS[0];
    const common = { ...this.scope(), name: this.nameFilter.trim() || null, refresh: force ? '1' : null };
    const [clusters, applications] = await Promise.allSettled([
      api.clusters({ ...common, state: filter.clusters }),
      api.applications({ ...common, state: filter.applications })
    ]);
    const errors: string[] = [];
    if (clusters.status === 'fulfilled') {
      this.clusters = clusters.value;
    } else {
      this.clusters = null;
      errors.push(messageOf(clusters.reason));
    }
    if (applications.status === 'fulfilled') {
      this.applications = applications.value;
    } else {
      this.applications = null;
      errors.push(messageOf(applications.reason));
    }
    this.errors = [...new Set(errors)];
    this.loading = false;
    this._changed.emit();
    for (const key of this.expanded) {
      const [kind, region, ...rest] = key.split(':');
      void this.loadDetail(kind as Kind, region, rest.join(':'), force);
    }
    if (errors.length) {
      // a rejected tick makes the Poll back off
      throw new Error(this.errors.join(' '));
    }
  }
}

function messageOf(reason: unknown): string {
  return reason instanceof ApiError ? reason.message : String(reason);
}
