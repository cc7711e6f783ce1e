// Package entry declarations. For now they re-export the low-level core layer.
export * from './core.js';
