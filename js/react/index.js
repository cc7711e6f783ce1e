// webllm-monitor/react: the React monitor panel. Its own entry point, so that the package root
// never imports React. Plain ES modules (React.createElement, no JSX, no build step); needs
// react and react-dom (18 or later) and uPlot (a dependency of the package).
export { MonitorPanel } from './panel.js';
