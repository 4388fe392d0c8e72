// Preloaded into the bench's server child (node --expose-gc --import): a full GC on SIGUSR2, so the
// heap the soak and capacity scenarios read is live objects rather than garbage not yet collected.
// Plain JS so it loads before tsx's loader; it touches nothing of the server's own.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
});
