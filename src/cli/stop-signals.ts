/**
 * Ctrl-C (SIGINT) and SIGTERM for the long-running commands: the first asks the command to stop gracefully
 * (`first`: say what happens, abort the run); a second exits 130 at once, after `again` says what is left.
 * Returns the function that removes the handlers.
 */
export function onStopSignals(first: (sig: NodeJS.Signals) => void, again?: (sig: NodeJS.Signals) => void): () => void {
  let signals = 0;
  const handler = (sig: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      again?.(sig);
      process.exit(130);
    }
    first(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
