/**
 * The emrlab JupyterLab plugin (`emrlab:plugin`): the EMR sidebar panel, its settings, and the commands
 * `emrlab:open-panel`, `emrlab:refresh` and `emrlab:convert` (file browser context menu).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { ApiError } from './api';
import { connectNotebook } from './connect';
import { convertForEmr, isConvertible, selectedPath } from './convert';
import { emrIcon } from './icon';
import { detailKey, EmrModel } from './model';
import { EmrPanel, PANEL_ID } from './panel';
import { DEFAULT_SETTINGS, IApplication, ICluster, IPanelSettings } from './types';

const PLUGIN_ID = 'emrlab:plugin';

export const CommandIDs = {
  openPanel: 'emrlab:open-panel',
  refresh: 'emrlab:refresh',
  convert: 'emrlab:convert'
};

/** The settings as the panel uses them (defaults for anything missing or malformed). */
export function readSettings(composite: Partial<IPanelSettings> | null | undefined): IPanelSettings {
  const s = composite ?? {};
  const number = (v: unknown, fallback: number): number =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
  return {
    regions: Array.isArray(s.regions) ? s.regions.filter(r => typeof r === 'string' && r) : [],
    profile: typeof s.profile === 'string' && s.profile ? s.profile : null,
    pollSeconds: number(s.pollSeconds, DEFAULT_SETTINGS.pollSeconds),
    idleWarningMinutes: number(s.idleWarningMinutes, DEFAULT_SETTINGS.idleWarningMinutes),
    budgetPerHour: typeof s.budgetPerHour === 'number' && s.budgetPerHour >= 0 ? s.budgetPerHour : null
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'EMR clusters, EMR Serverless applications and their cost, with Connect and Convert for EMR.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ILayoutRestorer, ICommandPalette, IFileBrowserFactory],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    registry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    browsers: IFileBrowserFactory | null
  ): void => {
    const model = new EmrModel();
    const connect = async (kind: 'cluster' | 'application', item: ICluster | IApplication): Promise<void> => {
      const detail = await model.loadDetail(kind, item.region, item.id, false);
      if (!detail) {
        const key = detailKey(kind, item.region, item.id);
        const stored = kind === 'cluster' ? model.clusterDetails.get(key) : model.applicationDetails.get(key);
        const message = stored?.error ?? 'its details did not load';
        Notification.error(`Cannot connect to ${item.name}: ${message}`, { autoClose: false });
        return;
      }
      await connectNotebook(app, notebooks, detail.connect, `${item.name} (${item.id})`);
    };
    const panel = new EmrPanel(model, { connect });
    panel.title.icon = emrIcon;
    panel.title.caption = 'EMR';
    app.shell.add(panel, 'left', { rank: 900 });
    restorer?.add(panel, PANEL_ID);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Open the EMR panel',
      caption: 'Show EMR clusters, Serverless applications and their cost',
      execute: () => app.shell.activateById(PANEL_ID)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh the EMR panel',
      execute: () => model.refresh(true)
    });
    app.commands.addCommand(CommandIDs.convert, {
      label: 'Convert for EMR',
      caption: 'Convert this Databricks export for EMR and open the report',
      isVisible: args => {
        const path = (args.path as string | undefined) ?? selectedPath(browsers);
        return !!path && isConvertible(path);
      },
      execute: async args => {
        const path = (args.path as string | undefined) ?? selectedPath(browsers);
        if (!path) {
          Notification.warning('Select one .dbc, .ipynb, .py or .zip file to convert.', { autoClose: 5000 });
          return;
        }
        await convertForEmr(app, path, browsers);
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.convert,
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 20
    });
    if (palette) {
      for (const command of [CommandIDs.openPanel, CommandIDs.refresh]) {
        palette.addItem({ command, category: 'EMR' });
      }
    }

    const started = (): void => {
      model.start();
      model.setVisible(panel.isVisible);
    };
    if (registry) {
      registry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = (): void => model.updateSettings(readSettings(settings.composite as any));
          apply();
          settings.changed.connect(apply);
          started();
        })
        .catch((error: unknown) => {
          console.warn('emrlab: settings not loaded, using defaults', error instanceof ApiError ? error.message : error);
          started();
        });
    } else {
      started();
    }
  }
};

export default plugin;
