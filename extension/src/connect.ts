/**
 * The Connect action: below the active cell of the active notebook, insert a code cell
 * `%load_ext emrlab` + newline + the detail's `connect` string, and run it.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';

/** The source of the inserted cell. */
export function connectSource(connect: string): string {
  return `%load_ext emrlab\n${connect}`;
}

/** Insert and run the connect cell; false (with a notification saying what to do) without a notebook. */
export async function connectNotebook(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  connect: string,
  label: string
): Promise<boolean> {
  const panel = tracker.currentWidget;
  if (!panel) {
    Notification.warning(`Open a notebook first: Connect adds a cell that connects it to ${label}.`, {
      autoClose: 6000
    });
    return false;
  }
  app.shell.activateById(panel.id);
  await panel.context.ready;
  await panel.sessionContext.ready;
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  NotebookActions.changeCellType(notebook, 'code');
  const cell = notebook.activeCell;
  if (!cell) {
    return false;
  }
  cell.model.sharedModel.setSource(connectSource(connect));
  await NotebookActions.run(notebook, panel.sessionContext);
  return true;
}
