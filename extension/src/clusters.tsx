/**
 * A cluster row (name, id, state with its reason, uptime, idle time, cost so far, $/h, actions) and its
 * expandable detail (groups or fleets, links, applications, tags, cost split).
 */
import * as React from 'react';

import { CLUSTER_CONNECTABLE, CLUSTER_LIVE, duration, estimateTitle, money, perHour, stateClass } from './format';
import type { IDetail } from './model';
import type { ICluster, IClusterDetail } from './types';

export interface IRowActions {
  toggle: () => void;
  connect: () => void;
  stop: () => void;
}

export function StateBadge(props: { state: string; reason?: string | null }): JSX.Element {
  return (
    <span className={`emrlab-state ${stateClass(props.state)}`} title={props.reason || props.state}>
      {props.state}
    </span>
  );
}

export function Links(props: { links: Record<string, string | null | undefined> }): JSX.Element | null {
  const names: Record<string, string> = {
    spark_history: 'Spark History Server',
    spark_ui: 'Spark UI',
    yarn: 'YARN ResourceManager',
    console: 'AWS console'
  };
  const present = Object.entries(props.links).filter(([, url]) => !!url);
  if (!present.length) {
    return null;
  }
  return (
    <ul className="emrlab-links">
      {present.map(([key, url]) => (
        <li key={key}>
          <a href={url as string} target="_blank" rel="noopener noreferrer">
            {names[key] ?? key}
          </a>
        </li>
      ))}
    </ul>
  );
}

export function Tags(props: { tags: Record<string, string> | undefined }): JSX.Element | null {
  const entries = Object.entries(props.tags ?? {});
  if (!entries.length) {
    return null;
  }
  return (
    <dl className="emrlab-tags" aria-label="Tags">
      {entries.map(([k, v]) => (
        <React.Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

function ClusterDetail(props: { detail: IDetail<IClusterDetail> | undefined; id: string }): JSX.Element {
  const { detail } = props;
  if (!detail || (detail.loading && !detail.data)) {
    return <div className="emrlab-detail emrlab-detail-loading">Loading details…</div>;
  }
  if (!detail.data) {
    return <div className="emrlab-detail emrlab-detail-error">{detail.error}</div>;
  }
  const c = detail.data;
  const snapshot = c.cost.snapshot_date;
  return (
    <div className="emrlab-detail">
      {detail.error && <div className="emrlab-detail-error">{detail.error}</div>}
      <div className="emrlab-detail-line">
        {c.release ?? 'release unknown'}
        {c.applications.length ? ` · ${c.applications.map(a => a.name).join(', ')}` : ''}
        {c.auto_termination_idle_seconds !== null
          ? ` · auto-terminates after ${duration(c.auto_termination_idle_seconds)} idle`
          : ' · no auto-termination'}
      </div>
      {c.cost.split && (
        <div className="emrlab-detail-line" title={estimateTitle(snapshot, 'Cost so far by part')}>
          EC2 {money(c.cost.split.ec2)} · EMR {money(c.cost.split.emr)} · EBS {money(c.cost.split.ebs)}
          {c.cost.projected !== null && ` · until auto-termination ≈ ${money(c.cost.projected)}`}
        </div>
      )}
      {!!c.cost.unpriced.length && (
        <div className="emrlab-detail-line emrlab-warning-text">No price for: {c.cost.unpriced.join(', ')}</div>
      )}
      <div className="emrlab-table-wrap">
      <table className="emrlab-table">
        <caption>{c.collection === 'INSTANCE_FLEET' ? 'Instance fleets' : 'Instance groups'}</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Market</th>
            <th scope="col">Types</th>
            <th scope="col" title="running / requested">Run</th>
            <th scope="col">$/h (est.)</th>
          </tr>
        </thead>
        <tbody>
          {c.groups.map(g => (
            <tr key={g.id} data-emrlab-group={g.role}>
              <td title={g.name}>{g.role}</td>
              <td title={g.market}>{g.market === 'ON_DEMAND' ? 'OD' : g.market === 'SPOT' ? 'Spot' : g.market}</td>
              <td>{g.instance_types.join(', ')}</td>
              <td>
                {g.running ?? '–'}/{g.requested ?? '–'}
              </td>
              <td title={estimateTitle(snapshot, 'Burn of this group')}>{perHour(g.per_hour)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      <Links links={c.links} />
      <Tags tags={c.tags} />
      <code className="emrlab-connect-string">{c.connect}</code>
    </div>
  );
}

export function ClusterRow(props: {
  cluster: ICluster;
  expanded: boolean;
  detail: IDetail<IClusterDetail> | undefined;
  idleWarningSeconds: number;
  showRegion: boolean;
  actions: IRowActions;
}): JSX.Element {
  const { cluster: c, expanded, actions } = props;
  const detailId = `emrlab-detail-cluster-${c.region}-${c.id}`;
  const idle = c.idle_seconds !== null && c.idle_seconds >= props.idleWarningSeconds && CLUSTER_LIVE.has(c.state);
  const snapshot = c.cost.snapshot_date;
  const unpriced = c.cost.unpriced.length ? ` (no price for ${c.cost.unpriced.join(', ')})` : '';
  return (
    <li className={`emrlab-row${idle ? ' emrlab-row-idle' : ''}`} data-emrlab-row="cluster" data-id={c.id}>
      <div className="emrlab-row-head">
        <button
          className="emrlab-toggle"
          aria-expanded={expanded}
          aria-controls={detailId}
          aria-label={`Details of ${c.name}`}
          onClick={actions.toggle}
        >
          <span aria-hidden="true">{expanded ? '▾' : '▸'}</span>
        </button>
        <span className="emrlab-name" title={c.name}>
          {c.name}
        </span>
        <StateBadge state={c.state} reason={c.state_reason} />
      </div>
      <div className="emrlab-row-sub">
        <span className="emrlab-id">{c.id}</span>
        {props.showRegion && <span className="emrlab-region">{c.region}</span>}
        {c.instance_count !== null && <span>{c.instance_count} instances</span>}
      </div>
      {c.state_reason && !CLUSTER_CONNECTABLE.has(c.state) && (
        <div className="emrlab-reason">{c.state_reason}</div>
      )}
      <div className="emrlab-figures">
        <span title="Uptime">
          up <span className="emrlab-uptime">{duration(c.uptime_seconds)}</span>
        </span>
        <span
          title={idle ? `Idle for more than ${duration(props.idleWarningSeconds)}: terminate it?` : 'Idle time'}
          className={idle ? 'emrlab-idle emrlab-idle-warn' : 'emrlab-idle'}
        >
          idle {duration(c.idle_seconds)}
        </span>
        <span title={estimateTitle(snapshot, 'Cost so far') + unpriced}>
          so far <span className="emrlab-cost-so-far">{money(c.cost.so_far)}</span>
        </span>
        <span className="emrlab-per-hour" title={estimateTitle(snapshot, 'Current burn') + unpriced}>
          {perHour(c.cost.per_hour)}
        </span>
      </div>
      <div className="emrlab-actions">
        {CLUSTER_CONNECTABLE.has(c.state) && (
          <button className="jp-mod-styled emrlab-button" aria-label={`Connect ${c.name}`} onClick={actions.connect}>
            Connect
          </button>
        )}
        {CLUSTER_LIVE.has(c.state) && (
          <button
            className="jp-mod-styled emrlab-button emrlab-button-danger"
            aria-label={`Terminate ${c.name}`}
            onClick={actions.stop}
          >
            Terminate
          </button>
        )}
      </div>
      {expanded && (
        <div id={detailId}>
          <ClusterDetail detail={props.detail} id={c.id} />
        </div>
      )}
    </li>
  );
}
