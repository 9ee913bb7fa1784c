/** The sidebar icon of the EMR panel (a small cluster of nodes; theme colours via jp-icon classes). */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="12" cy="5" r="3"/><circle cx="5" cy="18" r="3"/><circle cx="19" cy="18" r="3"/>
    <path d="M11 7.5h2v4.2l4.6 4-1.3 1.5L12 13.4l-4.3 3.8-1.3-1.5 4.6-4z"/>
  </g>
</svg>`;

export const emrIcon = new LabIcon({ name: 'emrlab:emr', svgstr: svg });
