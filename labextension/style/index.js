import '@xterm/xterm/css/xterm.css';
import './base.css';
import './logs.css';
import './archive.css';
