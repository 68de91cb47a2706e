/** Where progress goes: stderr, or anything with `write` (tests). */
export type ProgressStream = { write(text: string): unknown; isTTY?: boolean };

export type ProgressLine = {
  update(done: number, total: number): void;
  /** Ends the line (a terminal's rewritten line gets its newline). */
  finish(): void;
};

const count = (n: number) => n.toLocaleString('en-US');

/**
 * A progress indicator: on a terminal one line that rewrites itself ("Loading demo data  42 %
 * (105,000 / 251,736 events)"); otherwise (a log, CI) one line per 10 % step, so logs stay short.
 *
 * @example
 * const progress = createProgressLine(process.stderr, 'Loading demo data');
 * progress.update(500, 1000);
 * progress.finish();
 */
export function createProgressLine(stream: ProgressStream, label: string, now: () => number = Date.now): ProgressLine {
  const started = now();
  let lastPercent = -1;
  let lastStep = -1;
  let lastWrite = 0;
  let open = false;
  const text = (done: number, total: number, percent: number) =>
    `  ${label}  ${String(percent).padStart(3)} %  (${count(done)} / ${count(total)} events, ${((now() - started) / 1000).toFixed(0)} s)`;
  return {
    update(done, total) {
      const percent = total === 0 ? 100 : Math.floor((100 * done) / total);
      if (stream.isTTY) {
        // At most ten rewrites a second (the last one always), and one a second when nothing moved.
        const since = now() - lastWrite;
        if ((since < 100 && percent !== 100) || (percent === lastPercent && since < 1000)) return;
        stream.write(`\r\x1b[2K${text(done, total, percent)}`);
        open = true;
        lastWrite = now();
        lastPercent = percent;
        return;
      }
      const step = Math.floor(percent / 10);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${text(done, total, percent)}\n`);
    },
    finish() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
