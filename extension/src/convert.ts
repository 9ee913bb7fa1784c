/**
 * "Convert for EMR" (`emrlab:convert`) in the file browser's context menu on .dbc, .ipynb, .py and .zip
 * files: the server converts beside the input (`<name>-emr/`), the panel opens its HTML report and says
 * how many notebooks, findings and failures there were.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import type { IFileBrowserFactory } from '@jupyterlab/filebrowser';

import { api, ApiError } from './api';

export const CONVERTIBLE = ['.dbc', '.ipynb', '.py', '.zip'];

/** True for the file names the converter reads. */
export function isConvertible(path: string): boolean {
  const lower = path.toLowerCase();
  return CONVERTIBLE.some(ext => lower.endsWith(ext));
}

/** The `files/` URL of `path` (relative to the server root) under the server's base URL. */
export function filesUrl(path: string): string {
  return URLExt.join(PageConfig.getBaseUrl(), 'files', URLExt.encodeParts(path));
}

/** The selected file of the current file browser, when there is exactly one. */
export function selectedPath(factory: IFileBrowserFactory | null): string | null {
  const browser = factory?.tracker.currentWidget;
  if (!browser) {
    return null;
  }
  const items = Array.from(browser.selectedItems());
  return items.length === 1 && items[0].type !== 'directory' ? items[0].path : null;
}

/** Convert `path`, open the report in JupyterLab, notify with the counts (and a link to the report). */
export async function convertForEmr(
  app: JupyterFrontEnd,
  path: string,
  factory: IFileBrowserFactory | null = null
): Promise<void> {
  const id = Notification.emit(`Converting ${path} for EMR…`, 'in-progress', { autoClose: false });
  try {
    const result = await api.convert(path);
    const summary =
      `Converted ${path}: ${result.notebooks} notebook(s), ${result.findings} finding(s), ` +
      `${result.failed} failed → ${result.output}/`;
    Notification.update({
      id,
      message: summary,
      type: result.failed ? 'warning' : 'success',
      autoClose: 10000,
      actions: [
        {
          label: 'Open report in a new tab',
          caption: filesUrl(result.report),
          callback: () => {
            window.open(filesUrl(result.report), '_blank', 'noopener');
          }
        }
      ]
    });
    void factory?.tracker.currentWidget?.model.refresh();
    await app.commands.execute('docmanager:open', { path: result.report, factory: 'HTML Viewer' });
  } catch (error) {
    const message = error instanceof ApiError ? error.message : String(error);
    Notification.update({ id, message: `Converting ${path} failed: ${message}`, type: 'error', autoClose: false });
  }
}
