/**
 * The container console, independent of the JupyterLab application: a Lumino widget, xterm.js
 * and a connection over one WebSocket. The JupyterLab plugin and the notebook widget both use it.
 */
export * from './base';
export * from './comm';
export * from './connection';
export * from './format';
export * from './historysearch';
export * from './icons';
export * from './loglines';
export * from './logview';
export * from './merged';
export * from './protocol';
export * from './shell';
export * from './shellview';
export * from './socket';
export * from './sparkline';
export * from './structured';
export * from './widget';
