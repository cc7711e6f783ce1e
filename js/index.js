// Package entry. For now it re-exports the low-level core layer; createMonitor comes later.
export * from './core.js';
