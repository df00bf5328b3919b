/** The extension's icons in JupyterLab (the sidebar's tab, a console's tab, a shell). */
import { LabIcon } from '@jupyterlab/ui-components';

/** The sidebar's icon: three stacked containers. */
export const containersIcon = new LabIcon({
  name: 'littlewings-jupyter:containers',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161"><path d="M3 14.5h8v6H3zm1.5 1.5v3h5v-3zM13 14.5h8v6h-8zm1.5 1.5v3h5v-3zM8 7h8v6H8zm1.5 1.5v3h5v-3z"/><path d="M10.5 2.5h3v3h-3z" opacity=".6"/></g></svg>'
});

/** The console tab's icon. */
export const consoleIcon = new LabIcon({
  name: 'littlewings-jupyter:console',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161"><path d="M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm0 2v12h16V6zm2.3 3.4 1.4-1.4 4 4-4 4-1.4-1.4L8.9 12zM12 15h6v2h-6z"/></g></svg>'
});

/** A shell's icon: a prompt. */
export const shellIcon = new LabIcon({
  name: 'littlewings-jupyter:shell',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16"><g class="jp-icon3" fill="none" stroke="#616161" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"><path d="m2.5 4.5 3.5 3.5-3.5 3.5M7.5 12.5h6"/></g></svg>'
});
