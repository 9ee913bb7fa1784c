/**
 * An EMR Serverless application row (state, uptime, warm-pool $/h, actions) and its expandable detail
 * (capacity, auto-stop, job runs with their billed cost and billed-vs-used efficiency).
 */
import * as React from 'react';

import { IRowActions, Links, StateBadge, Tags } from './clusters';
import { APP_CONNECTABLE, APP_STOPPABLE, duration, estimateTitle, money, percent, perHour } from './format';
import type { IDetail } from './model';
import type { IApplication, IApplicationDetail } from './types';

function capacity(value: Record<string, unknown> | null): string {
  if (!value || !Object.keys(value).length) {
    return 'none';
  }
  return Object.entries(value)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('; ');
}

function ApplicationDetail(props: { detail: IDetail<IApplicationDetail> | undefined }): JSX.Element {
  const { detail } = props;
  if (!detail || (detail.loading && !detail.data)) {
    return <div className="emrlab-detail emrlab-detail-loading">Loading details…</div>;
  }
  if (!detail.data) {
    return <div className="emrlab-detail emrlab-detail-error">{detail.error}</div>;
  }
  const a = detail.data;
  return (
    <div className="emrlab-detail">
      {detail.error && <div className="emrlab-detail-error">{detail.error}</div>}
      <div className="emrlab-detail-line">
        {a.release ?? 'release unknown'} · {a.type ?? 'SPARK'} · {a.architecture ?? 'X86_64'}
        {a.auto_stop_idle_minutes !== null
          ? ` · auto-stops after ${a.auto_stop_idle_minutes} min idle`
          : ' · no auto-stop'}
      </div>
      <div className="emrlab-detail-line">Initial capacity: {capacity(a.initial_capacity)}</div>
      <div className="emrlab-detail-line">Maximum capacity: {capacity(a.maximum_capacity)}</div>
      <div className="emrlab-table-wrap">
      <table className="emrlab-table">
        <caption>Job runs</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">State</th>
            <th scope="col">Time</th>
            <th scope="col">Billed (est.)</th>
            <th scope="col">Efficiency</th>
          </tr>
        </thead>
        <tbody>
          {a.job_runs.length === 0 && (
            <tr>
              <td colSpan={5}>No job runs.</td>
            </tr>
          )}
          {a.job_runs.map(run => (
            <tr key={run.id} data-emrlab-row="job-run" data-id={run.id}>
              <td title={run.id}>{run.name || run.id}</td>
              <td>
                <StateBadge state={run.state} reason={run.state_details} />
              </td>
              <td>{duration(run.elapsed_seconds)}</td>
              <td
                className="emrlab-billed"
                title={estimateTitle(
                  run.cost.snapshot_date,
                  run.cost.estimate ? 'Billed so far (still running)' : 'Billed cost'
                )}
              >
                {money(run.cost.billed)}
                {run.cost.estimate ? '*' : ''}
              </td>
              <td title="Used resources / billed resources (billing has minimums per worker)">
                {percent(run.cost.efficiency)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {a.links && <Links links={a.links} />}
      <Tags tags={a.tags} />
      <code className="emrlab-connect-string">{a.connect}</code>
    </div>
  );
}

export function ApplicationRow(props: {
  application: IApplication;
  expanded: boolean;
  detail: IDetail<IApplicationDetail> | undefined;
  showRegion: boolean;
  actions: IRowActions;
}): JSX.Element {
  const { application: a, expanded, actions } = props;
  const detailId = `emrlab-detail-application-${a.region}-${a.id}`;
  const snapshot = a.cost.snapshot_date;
  return (
    <li className="emrlab-row" data-emrlab-row="application" data-id={a.id}>
      <div className="emrlab-row-head">
        <button
          className="emrlab-toggle"
          aria-expanded={expanded}
          aria-controls={detailId}
          aria-label={`Details of ${a.name}`}
          onClick={actions.toggle}
        >
          <span aria-hidden="true">{expanded ? '▾' : '▸'}</span>
        </button>
        <span className="emrlab-name" title={a.name}>
          {a.name}
        </span>
        <StateBadge state={a.state} reason={a.state_details} />
      </div>
      <div className="emrlab-row-sub">
        <span className="emrlab-id">{a.id}</span>
        {props.showRegion && <span className="emrlab-region">{a.region}</span>}
        {a.release && <span>{a.release}</span>}
      </div>
      {a.state_details && <div className="emrlab-reason">{a.state_details}</div>}
      <div className="emrlab-figures">
        <span title="Uptime">
          up <span className="emrlab-uptime">{duration(a.uptime_seconds)}</span>
        </span>
        <span
          title={
            a.cost.so_far === null
              ? 'Job runs are billed per run: see the details'
              : estimateTitle(snapshot, 'Cost so far')
          }
        >
          so far <span className="emrlab-cost-so-far">{a.cost.so_far === null ? '–' : money(a.cost.so_far)}</span>
        </span>
        <span className="emrlab-per-hour" title={estimateTitle(snapshot, 'Warm-pool burn')}>
          {perHour(a.cost.per_hour)}
        </span>
      </div>
      <div className="emrlab-actions">
        {APP_CONNECTABLE.has(a.state) && (
          <button className="jp-mod-styled emrlab-button" aria-label={`Connect ${a.name}`} onClick={actions.connect}>
            Connect
          </button>
        )}
        {APP_STOPPABLE.has(a.state) && (
          <button
            className="jp-mod-styled emrlab-button emrlab-button-danger"
            aria-label={`Stop ${a.name}`}
            onClick={actions.stop}
          >
            Stop
          </button>
        )}
      </div>
      {expanded && (
        <div id={detailId}>
          <ApplicationDetail detail={props.detail} />
        </div>
      )}
    </li>
  );
}
