/**
 * The left-sidebar "EMR" panel: account/region, burn total and warnings, filters, the Clusters and
 * Serverless sections, and a footer saying every figure is an estimate from dated prices.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { stopApplication, terminateCluster } from './actions';
import { ApplicationRow } from './applications';
import { ClusterRow } from './clusters';
import { estimateTitle, money, perHour, when } from './format';
import { detailKey, EmrModel, STATE_FILTERS } from './model';
import type { IApplication, ICluster } from './types';

export const PANEL_ID = 'emrlab-panel';

/** What the panel asks of its host (the plugin): connect a notebook to a resource. */
export interface IPanelHost {
  connect: (kind: 'cluster' | 'application', item: ICluster | IApplication) => Promise<void>;
}

export class EmrPanel extends ReactWidget {
  constructor(
    readonly model: EmrModel,
    private readonly host: IPanelHost
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('emrlab-panel');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'EMR clusters and Serverless applications');
    model.changed.connect(() => this.update(), this);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setVisible(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setVisible(false);
  }

  dispose(): void {
    this.model.changed.disconnect(this.update, this);
    super.dispose();
  }

  render(): JSX.Element {
    return <PanelView model={this.model} host={this.host} />;
  }
}

function Header(props: { model: EmrModel }): JSX.Element {
  const { model } = props;
  const account = model.clusters?.account ?? model.applications?.account;
  const regions = account?.regions.length ? account.regions : model.settings.regions;
  return (
    <div className="emrlab-header">
      <h2 className="emrlab-title">EMR</h2>
      <span className="emrlab-account" title="AWS account, region(s) and profile the server uses">
        {account?.account_id ? `Account ${account.account_id}` : 'Account unknown'}
        {regions.length ? ` · ${regions.join(', ')}` : ''}
        {account?.profile ? ` · profile ${account.profile}` : ''}
      </span>
      <button
        className="jp-mod-styled emrlab-button emrlab-refresh"
        aria-label="Refresh"
        title="Refresh now (bypasses the server's cache)"
        onClick={() => void model.refresh(true)}
      >
        ⟳
      </button>
    </div>
  );
}

function Burn(props: { model: EmrModel }): JSX.Element | null {
  const { model } = props;
  if (!model.clusters && !model.applications) {
    return null;
  }
  const burn = model.burnPerHour();
  const budget = model.settings.budgetPerHour;
  const idleSeconds = model.settings.idleWarningMinutes * 60;
  const idle = (model.clusters?.clusters ?? []).filter(
    c => c.idle_seconds !== null && c.idle_seconds >= idleSeconds && ['WAITING', 'RUNNING'].includes(c.state)
  );
  const soFar = model.clusters?.totals.so_far;
  return (
    <div className="emrlab-summary">
      <div className="emrlab-burn" title={estimateTitle(model.snapshotDate(), 'Account-wide burn')}>
        Burn <span className="emrlab-burn-total">{perHour(burn)}</span>
        {typeof soFar === 'number' && <span className="emrlab-so-far-total"> · clusters so far {money(soFar)}</span>}
      </div>
      {budget !== null && burn !== null && burn > budget && (
        <div className="emrlab-warning emrlab-budget-warning" role="status">
          Burn {perHour(burn)} is above your budget of {perHour(budget)} (settings: budgetPerHour).
        </div>
      )}
      {idle.length > 0 && (
        <div className="emrlab-warning emrlab-idle-warning" role="status">
          Idle for {model.settings.idleWarningMinutes} min or more: {idle.map(c => c.name).join(', ')}.
        </div>
      )}
    </div>
  );
}

function Filters(props: { model: EmrModel }): JSX.Element {
  const { model } = props;
  return (
    <div className="emrlab-filters">
      <label className="emrlab-filter">
        <span>State</span>
        <select
          className="jp-mod-styled"
          aria-label="State filter"
          value={model.stateFilter}
          onChange={e => model.setStateFilter(e.currentTarget.value)}
        >
          {STATE_FILTERS.map(f => (
            <option key={f.key} value={f.key}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      <label className="emrlab-filter emrlab-filter-name">
        <span>Name</span>
        <input
          type="search"
          className="jp-mod-styled"
          aria-label="Name filter"
          placeholder="contains…"
          value={model.nameFilter}
          onChange={e => model.setNameFilter(e.currentTarget.value)}
        />
      </label>
    </div>
  );
}

function PanelView(props: { model: EmrModel; host: IPanelHost }): JSX.Element {
  const { model, host } = props;
  const clusters = model.clusters?.clusters ?? [];
  const applications = model.applications?.applications ?? [];
  const regions = model.clusters?.account.regions ?? model.applications?.account.regions ?? [];
  const showRegion = regions.length > 1;
  const snapshot = model.snapshotDate();
  const warnings = [...new Set([...(model.clusters?.warnings ?? []), ...(model.applications?.warnings ?? [])])];
  const fetched = model.clusters?.fetched_at ?? model.applications?.fetched_at;
  const nothing = !model.errors.length && !!model.clusters && !!model.applications && !clusters.length && !applications.length;
  return (
    <div className="emrlab-root">
      <Header model={model} />
      <Burn model={model} />
      <Filters model={model} />
      {model.loading && (
        <div className="emrlab-loading" role="status">
          Loading EMR clusters and Serverless applications…
        </div>
      )}
      {model.errors.length > 0 && (
        <div className="emrlab-error" role="alert">
          {model.errors.map(m => (
            <p key={m}>{m}</p>
          ))}
        </div>
      )}
      {warnings.length > 0 && (
        <ul className="emrlab-notes" aria-label="Warnings">
          {warnings.map(w => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      {nothing && (
        <div className="emrlab-empty">
          No {model.stateFilter === 'all' ? '' : STATE_FILTERS.find(f => f.key === model.stateFilter)?.label.toLowerCase()}{' '}
          clusters or Serverless applications{model.nameFilter ? ` named like "${model.nameFilter}"` : ''} in{' '}
          {regions.join(', ') || 'the configured regions'}.
        </div>
      )}
      {model.clusters && (
        <section className="emrlab-section" aria-label="Clusters">
          <h3>
            Clusters <span className="emrlab-count">{clusters.length}</span>
          </h3>
          {clusters.length ? (
            <ul className="emrlab-list">
              {clusters.map(c => {
                const key = detailKey('cluster', c.region, c.id);
                return (
                  <ClusterRow
                    key={key}
                    cluster={c}
                    expanded={model.expanded.has(key)}
                    detail={model.clusterDetails.get(key)}
                    idleWarningSeconds={model.settings.idleWarningMinutes * 60}
                    showRegion={showRegion}
                    actions={{
                      toggle: () => model.toggle('cluster', c),
                      connect: () => void host.connect('cluster', c),
                      stop: () => void terminateCluster(c).then(ok => (ok ? model.refresh(true) : undefined))
                    }}
                  />
                );
              })}
            </ul>
          ) : (
            <p className="emrlab-section-empty">No clusters match.</p>
          )}
          {model.clusters.next_page && <p className="emrlab-more">More clusters exist: narrow the filters.</p>}
        </section>
      )}
      {model.applications && (
        <section className="emrlab-section" aria-label="Serverless applications">
          <h3>
            Serverless <span className="emrlab-count">{applications.length}</span>
          </h3>
          {applications.length ? (
            <ul className="emrlab-list">
              {applications.map(a => {
                const key = detailKey('application', a.region, a.id);
                return (
                  <ApplicationRow
                    key={key}
                    application={a}
                    expanded={model.expanded.has(key)}
                    detail={model.applicationDetails.get(key)}
                    showRegion={showRegion}
                    actions={{
                      toggle: () => model.toggle('application', a),
                      connect: () => void host.connect('application', a),
                      stop: () => void stopApplication(a).then(ok => (ok ? model.refresh(true) : undefined))
                    }}
                  />
                );
              })}
            </ul>
          ) : (
            <p className="emrlab-section-empty">No Serverless applications match.</p>
          )}
          {model.applications.next_page && (
            <p className="emrlab-more">More applications exist: narrow the filters.</p>
          )}
        </section>
      )}
      <footer className="emrlab-footer">
        {snapshot
          ? `Estimates from prices of ${snapshot}, not a bill.`
          : 'Figures are estimates from a dated AWS price snapshot, not a bill.'}
        {fetched ? ` Updated ${when(fetched)}.` : ''}
      </footer>
    </div>
  );
}
