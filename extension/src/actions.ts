/**
 * Terminate (EMR on EC2) and Stop (EMR Serverless): a JupyterLab confirmation that names what will stop
 * and what it costs now, then the POST.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';

import { api, ApiError } from './api';
import { perHour } from './format';
import type { IApplication, ICluster } from './types';

function burnText(value: number | null, snapshot: string): string {
  return value === null
    ? 'Its current cost per hour is unknown (no price for one of its instance types).'
    : `It costs about ${perHour(value)} now (estimate, prices of ${snapshot}).`;
}

async function confirm(title: string, body: string, label: string): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton({ label: 'Cancel' }), Dialog.warnButton({ label, ariaLabel: label })],
    defaultButton: 0
  });
  return result.button.accept;
}

function failed(what: string, error: unknown): void {
  const message = error instanceof ApiError ? error.message : String(error);
  Notification.error(`${what} failed: ${message}`, { autoClose: false });
}

/** Ask, then terminate `cluster`; true when the request was sent and accepted. */
export async function terminateCluster(cluster: ICluster): Promise<boolean> {
  const ok = await confirm(
    `Terminate ${cluster.name}?`,
    `This terminates EMR cluster ${cluster.name} (${cluster.id}, ${cluster.region}): its steps and ` +
      `sessions stop and data on its HDFS is lost. ${burnText(cluster.cost.per_hour, cluster.cost.snapshot_date)}`,
    'Terminate'
  );
  if (!ok) {
    return false;
  }
  try {
    const result = await api.terminate(cluster.id, cluster.region);
    Notification.success(`${cluster.name} (${cluster.id}): ${result.state}`, { autoClose: 5000 });
    return true;
  } catch (error) {
    failed(`Terminating ${cluster.name}`, error);
    return false;
  }
}

/** Ask, then stop `app`; true when the request was sent and accepted. */
export async function stopApplication(app: IApplication): Promise<boolean> {
  const ok = await confirm(
    `Stop ${app.name}?`,
    `This stops EMR Serverless application ${app.name} (${app.id}, ${app.region}): its warm pool is ` +
      `released and running job runs are cancelled. ${burnText(app.cost.per_hour, app.cost.snapshot_date)}`,
    'Stop'
  );
  if (!ok) {
    return false;
  }
  try {
    const result = await api.stop(app.id, app.region);
    Notification.success(`${app.name} (${app.id}): ${result.state}`, { autoClose: 5000 });
    return true;
  } catch (error) {
    failed(`Stopping ${app.name}`, error);
    return false;
  }
}
