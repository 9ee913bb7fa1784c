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

/** Ask with `title`/`body`; when accepted, `send` the request and notify its outcome. True when accepted. */
async function confirmThen(
  resource: { id: string; name: string },
  title: string,
  body: string,
  label: string,
  doing: string,
  send: () => Promise<{ state: string }>
): Promise<boolean> {
  if (!(await confirm(title, body, label))) {
    return false;
  }
  try {
    const result = await send();
    Notification.success(`${resource.name} (${resource.id}): ${result.state}`, { autoClose: 5000 });
    return true;
  } catch (error) {
    failed(`${doing} ${resource.name}`, error);
    return false;
  }
}

/** Ask, then terminate `cluster`; true when the request was sent and accepted. */
export function terminateCluster(cluster: ICluster): Promise<boolean> {
  return confirmThen(
    cluster,
    `Terminate ${cluster.name}?`,
    `This terminates EMR cluster ${cluster.name} (${cluster.id}, ${cluster.region}): its steps and ` +
      `sessions stop and data on its HDFS is lost. ${burnText(cluster.cost.per_hour, cluster.cost.snapshot_date)}`,
    'Terminate',
    'Terminating',
    () => api.terminate(cluster.id, cluster.region)
  );
}

/** Ask, then stop `app`; true when the request was sent and accepted. */
export function stopApplication(app: IApplication): Promise<boolean> {
  return confirmThen(
    app,
    `Stop ${app.name}?`,
    `This stops EMR Serverless application ${app.name} (${app.id}, ${app.region}): its warm pool is ` +
      `released and running job runs are cancelled. ${burnText(app.cost.per_hour, app.cost.snapshot_date)}`,
    'Stop',
    'Stopping',
    () => api.stop(app.id, app.region)
  );
}
