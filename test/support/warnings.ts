// Collecting the process warnings (process.emitWarning) emitted while a
// test body runs.

/** Runs `body` with the list of process warnings emitted meanwhile. */
export async function withWarnings(body: (warnings: Error[]) => Promise<void>): Promise<void> {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    await body(warnings);
  } finally {
    process.off('warning', onWarning);
  }
}
