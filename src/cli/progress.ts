/**
 * A one-line terminal progress bar on stderr (stdout stays clean). Redraws in place on a TTY; elsewhere
 * (CI logs) prints a line at most every `plainIntervalMs` so logs stay short.
 */
export class ProgressBar {
  private lastPlain = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly plainIntervalMs = 5000,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number, total: number, detail = ""): void {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    if (this.tty) {
      const width = 28;
      const filled = Math.round(frac * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      const cols = this.stream.columns ?? 100;
      const line = `${this.label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${detail}`;
      this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain >= this.plainIntervalMs || done >= total) {
      this.lastPlain = now;
      this.stream.write(`${this.label} ${(frac * 100).toFixed(0)}% ${detail}\n`);
    }
  }

  done(message: string): void {
    this.stream.write(this.tty ? `\r${this.label} ${message}\x1b[K\n` : `${this.label} ${message}\n`);
  }
}
